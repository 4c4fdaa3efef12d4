import type { BackfillProgress } from "../api/types";

/** Ended runs out of the backfill's total, as a labelled progress bar split by outcome. */
export function BackfillProgressBar({ progress, compact }: { progress: BackfillProgress; compact?: boolean }) {
  const { total, success, failed, canceled, running, queued } = progress;
  const percent = Math.round(progress.percent);
  const share = (n: number): string => `${total === 0 ? 0 : (n / total) * 100}%`;
  return (
    <div className={`progress-wrap ${compact ? "progress-compact" : ""}`}>
      <div
        role="progressbar"
        aria-label="Backfill progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}% (${success + failed + canceled} of ${total} runs ended)`}
        className="progress"
      >
        <span className="progress-seg seg-success" style={{ width: share(success) }} />
        <span className="progress-seg seg-failed" style={{ width: share(failed) }} />
        <span className="progress-seg seg-canceled" style={{ width: share(canceled) }} />
        <span className="progress-seg seg-running" style={{ width: share(running) }} />
        <span className="progress-seg seg-queued" style={{ width: share(queued) }} />
      </div>
      <span className="progress-label small" aria-hidden="true">
        {percent}%
      </span>
    </div>
  );
}
