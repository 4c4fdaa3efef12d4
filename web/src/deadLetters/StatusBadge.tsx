import type { DeadLetterStatus } from "../api/types";
import { StateBadge } from "../ui/StateBadge";
import { DEAD_LETTER_STATUS_STYLE } from "./deadLetterStyle";

export function DeadLetterStatusBadge({ status }: { status: DeadLetterStatus }) {
  return <StateBadge style={DEAD_LETTER_STATUS_STYLE[status]} />;
}
