/**
 * Synthetic sources for the customer-analytics example: one day of orders, support tickets and
 * marketing events for a region. Every value comes from a PRNG seeded with the stream, region and
 * date, so a rerun of the same logical date produces exactly the same records (and the same
 * partition checksum), which is what makes the pipeline's idempotency observable.
 */
import { intBetween, pick, seededRandom, type Random } from "./random";
import { MARKETING_CHANNELS, ORDER_STATUSES, TICKET_CATEGORIES, type MarketingEvent, type Ticket } from "./schemas";

/** The slice of a run the generators need. */
export interface SourceDay {
  /** The logical date, YYYY-MM-DD. */
  ds: string;
  region: string;
  customers: number;
  /** The run's data interval; generated timestamps fall inside it. */
  start: Date;
  end: Date;
}

/** Stable traits of a customer: the same on every day, so histories look like real customers. */
export interface CustomerProfile {
  id: string;
  /** Relative chance of placing each of the day's orders. */
  weight: number;
  /** Typical order value. */
  basket: number;
  /** "escalating" customers open several, mostly high-priority, tickets: they drive the alerts. */
  mood: "content" | "unhappy" | "escalating";
  /** Marketing events per day, on average. */
  engagement: number;
}

/** The `customers` profiles of a region, in id order. */
export function customerProfiles(region: string, customers: number): CustomerProfile[] {
  return Array.from({ length: customers }, (_, index) => {
    const id = `cust_${region}_${String(index + 1).padStart(5, "0")}`;
    const random = seededRandom(`customer/${id}`);
    const activity = random();
    const moodDraw = random();
    return {
      id,
      weight: 0.2 + 2.8 * activity * activity,
      basket: round2(15 + 185 * random()),
      mood: moodDraw < 0.03 ? "escalating" : moodDraw < 0.12 ? "unhappy" : "content",
      engagement: 0.2 + 1.8 * random(),
    };
  });
}

/**
 * The day's orders as the source sends them: mostly valid, plus a few deterministic malformed
 * ones (a negative amount, an amount in a locale format, a missing customer) that validation
 * must send to the dead-letter queue.
 */
export function generateOrders(day: SourceDay): Array<Record<string, unknown>> {
  const random = seededRandom(`orders/${day.region}/${day.ds}`);
  const profiles = customerProfiles(day.region, day.customers);
  const choose = weightedChooser(profiles);
  const count = Math.max(10, Math.round(day.customers * 0.25));
  const currency = currencyFor(day.region);
  const orders: Array<Record<string, unknown>> = [];
  const nextId = () => `ord_${day.ds.replaceAll("-", "")}_${String(orders.length + 1).padStart(5, "0")}`;
  for (let i = 0; i < count; i++) {
    const customer = choose(random());
    orders.push({
      order_id: nextId(),
      customer_id: customer.id,
      region: day.region,
      ordered_at: timeIn(day, random),
      amount: round2(customer.basket * (0.5 + random())),
      currency,
      status: weightedStatus(random()),
    });
  }
  const malformed = Math.max(1, Math.round(count / 16));
  for (let i = 0; i < malformed; i++) {
    const base = { order_id: nextId(), customer_id: choose(random()).id, region: day.region, ordered_at: timeIn(day, random), currency, status: "placed" };
    const amount = round2(10 + 90 * random());
    if (i % 3 === 0) orders.push({ ...base, amount: -amount });
    else if (i % 3 === 1) orders.push({ ...base, amount: amount.toFixed(2).replace(".", ",") });
    else orders.push({ ...base, customer_id: "", amount });
  }
  return orders;
}

/** The day's support tickets; unhappy and escalating customers open most of them. */
export function generateTickets(day: SourceDay): Ticket[] {
  const random = seededRandom(`tickets/${day.region}/${day.ds}`);
  const tickets: Ticket[] = [];
  const odds = { content: { p: 0.01, n: 1, high: 0.05 }, unhappy: { p: 0.1, n: 1, high: 0.3 }, escalating: { p: 0.35, n: 2, high: 0.75 } };
  for (const customer of customerProfiles(day.region, day.customers)) {
    const { p, n, high } = odds[customer.mood];
    if (random() >= p) continue;
    for (let i = 0; i < n; i++) {
      tickets.push({
        ticket_id: `tkt_${day.ds.replaceAll("-", "")}_${String(tickets.length + 1).padStart(5, "0")}`,
        customer_id: customer.id,
        opened_at: timeIn(day, random),
        priority: random() < high ? pick(random, ["high", "urgent"] as const) : pick(random, ["low", "normal"] as const),
        category: pick(random, TICKET_CATEGORIES),
      });
    }
  }
  return tickets;
}

/** The day's marketing touches (impressions, opens, clicks, the odd unsubscribe). */
export function generateMarketingEvents(day: SourceDay): MarketingEvent[] {
  const random = seededRandom(`marketing/${day.region}/${day.ds}`);
  const campaigns = ["newsletter", "loyalty", "winback", "seasonal_sale"].map((c) => `${day.region}_${c}`);
  const events: MarketingEvent[] = [];
  for (const customer of customerProfiles(day.region, day.customers)) {
    const n = intBetween(random, 0, Math.round(customer.engagement * 2));
    for (let i = 0; i < n; i++) {
      const draw = random();
      events.push({
        event_id: `mkt_${day.ds.replaceAll("-", "")}_${String(events.length + 1).padStart(6, "0")}`,
        customer_id: customer.id,
        occurred_at: timeIn(day, random),
        channel: pick(random, MARKETING_CHANNELS),
        event_type: draw < 0.6 ? "impression" : draw < 0.8 ? "open" : draw < 0.99 ? "click" : "unsubscribe",
        campaign: pick(random, campaigns),
      });
    }
  }
  return events;
}

function weightedChooser(profiles: readonly CustomerProfile[]): (draw: number) => CustomerProfile {
  const cumulative: number[] = [];
  let total = 0;
  for (const p of profiles) cumulative.push((total += p.weight));
  return (draw) => {
    const target = draw * total;
    const index = cumulative.findIndex((c) => c > target);
    const chosen = profiles[index === -1 ? profiles.length - 1 : index];
    if (!chosen) throw new Error("no customers to choose from");
    return chosen;
  };
}

function weightedStatus(draw: number): (typeof ORDER_STATUSES)[number] {
  if (draw < 0.1) return "placed";
  if (draw < 0.3) return "shipped";
  if (draw < 0.95) return "delivered";
  return "refunded";
}

function currencyFor(region: string): "EUR" | "USD" | "GBP" {
  if (region === "us") return "USD";
  if (region === "uk") return "GBP";
  return "EUR";
}

/** An ISO timestamp inside the run's data interval. */
function timeIn(day: SourceDay, random: Random): string {
  const span = Math.max(1, day.end.getTime() - day.start.getTime());
  return new Date(day.start.getTime() + Math.floor(random() * span)).toISOString();
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
