import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson, postJson, query } from "../api/fetchJson";
import { OPEN_DELIVERY_STATES } from "../api/states";
import type { Alert, AlertChannelsResponse, AlertListResponse, OperatorChannel } from "../api/types";
import type { AlertApiFilter } from "./alertFilter";

/** How often the list refreshes while a delivery is still on its way, and otherwise (new events also arrive with live run updates). */
export const ALERTS_BUSY_POLL_MS = 2000;
export const ALERTS_IDLE_POLL_MS = 10_000;
const PAGE_SIZE = 50;

export const alertKeys = {
  all: ["alerts"] as const,
  list: (filter: AlertApiFilter) => ["alerts", "list", filter] as const,
  detail: (id: string) => ["alerts", "detail", id] as const,
  channels: ["alerts", "channels"] as const,
};

/** Whether the sender still has work on this event: not fanned out yet, or a delivery pending or failing. */
export const inFlight = (a: Alert): boolean => a.fannedOutAt === null || a.deliveries.some((d) => OPEN_DELIVERY_STATES.has(d.state));

/** Events matching `filter`, newest first, a page at a time. */
export function useAlertList(filter: AlertApiFilter) {
  return useInfiniteQuery({
    queryKey: alertKeys.list(filter),
    queryFn: ({ signal, pageParam }) => fetchJson<AlertListResponse>(`/api/alerts${query({ ...filter, limit: PAGE_SIZE, cursor: pageParam })}`, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.alerts.some(inFlight)) ? ALERTS_BUSY_POLL_MS : ALERTS_IDLE_POLL_MS),
  });
}

/** One event (the test alert just sent); polls while it is on its way. */
export function useAlert(id: string | undefined) {
  return useQuery({
    queryKey: alertKeys.detail(id ?? ""),
    enabled: id !== undefined,
    queryFn: ({ signal }) => fetchJson<Alert>(`/api/alerts/${encodeURIComponent(id ?? "")}`, { signal }),
    refetchInterval: (q) => (q.state.data && !inFlight(q.state.data) ? false : ALERTS_BUSY_POLL_MS / 2),
  });
}

/** The configured operator channels. */
export function useAlertChannels() {
  return useQuery({
    queryKey: alertKeys.channels,
    queryFn: ({ signal }) => fetchJson<AlertChannelsResponse>("/api/alerts/channels", { signal }),
    staleTime: 60_000,
  });
}

/** Sends a test alert to one channel; answers the new event. */
export function useSendTestAlert() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (channel: OperatorChannel) => postJson<Alert>("/api/alerts/test", { channel }),
    onSuccess: (alert) => {
      client.setQueryData(alertKeys.detail(alert.id), alert);
      void client.invalidateQueries({ queryKey: ["alerts", "list"] });
    },
  });
}

/** Puts one delivery back to pending, due now. */
export function useResendDelivery() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: number) => postJson<Alert>(`/api/alerts/deliveries/${deliveryId}/resend`),
    onSuccess: (alert) => {
      client.setQueryData(alertKeys.detail(alert.id), alert);
      void client.invalidateQueries({ queryKey: ["alerts", "list"] });
    },
  });
}
