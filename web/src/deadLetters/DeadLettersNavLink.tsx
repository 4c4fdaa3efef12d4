import { Link } from "../router";
import { useDeadLetterCounts } from "./useDeadLetters";

/** The header's "Dead letters" link with a badge of open letters (records and failed tasks). */
export function DeadLettersNavLink({ current }: { current: boolean }) {
  const counts = useDeadLetterCounts("open");
  const open = (counts.data?.counts ?? []).reduce((n, c) => n + c.count, 0);
  return (
    <Link to="/dead-letters" aria-current={current ? "page" : undefined} className="nav-link">
      Dead letters
      {open > 0 && (
        <span className="nav-badge" aria-label={`${open} open`}>
          {open > 999 ? "999+" : open}
        </span>
      )}
    </Link>
  );
}
