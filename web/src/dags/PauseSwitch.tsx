import { usePauseDag } from "./useDags";

/** A switch named "Pause <dagId>": on = paused. */
export function PauseSwitch({ dagId, isPaused }: { dagId: string; isPaused: boolean }) {
  const pause = usePauseDag();
  return (
    <span className="switch-wrap">
      <button
        type="button"
        role="switch"
        aria-checked={isPaused}
        aria-label={`Pause ${dagId}`}
        title={isPaused ? `Unpause ${dagId}` : `Pause ${dagId}`}
        className="switch"
        disabled={pause.isPending}
        onClick={() => pause.mutate({ dagId, pause: !isPaused })}
      >
        <span className="switch-thumb" aria-hidden="true" />
      </button>
      {pause.error && (
        <span role="alert" className="small error-text">
          {pause.error.message}
        </span>
      )}
    </span>
  );
}
