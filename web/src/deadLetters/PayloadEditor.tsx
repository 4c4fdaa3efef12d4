import { useEffect, useId, useState } from "react";
import type { DeadLetterValidateResponse } from "../api/types";
import { useValidatePayload } from "./useDeadLetters";

/** The editor's text parsed: the value, or JSON.parse's message. */
export type ParsedPayload = { ok: true; value: unknown } | { ok: false; message: string };

export function parsePayload(text: string): ParsedPayload {
  if (text.trim() === "") return { ok: false, message: "empty: a payload is a JSON value" };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

export const formatPayload = (payload: unknown): string => JSON.stringify(payload ?? null, null, 2);

function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return current;
}

/** Where an edit stands: `ready` when the text parses and the server found it valid (or had no schema). */
export interface EditorState {
  text: string;
  parsed: ParsedPayload;
  ready: boolean;
  dirty: boolean;
}

/**
 * A JSON textarea for a record letter's payload: JSON syntax errors live, then the server's check
 * against the schema the task validated with (debounced). Reports its state to the parent.
 */
export function PayloadEditor({ letterId, initial, readOnly, onState }: { letterId: string; initial: unknown; readOnly: boolean; onState: (s: EditorState) => void }) {
  const id = useId();
  const [text, setText] = useState(() => formatPayload(initial));
  const settled = useDebounced(text, 300);
  const parsed = parsePayload(text);
  const settledParsed = parsePayload(settled);
  const check = useValidatePayload(letterId, settled, settledParsed.ok ? settledParsed.value : undefined);
  const result: DeadLetterValidateResponse | undefined = settled === text && !check.isPlaceholderData ? check.data : undefined;
  const ready = parsed.ok && result !== undefined && result.valid;
  const dirty = text !== formatPayload(initial);

  // `onState` should be stable (a state setter): the parent hears of every change once.
  useEffect(() => onState({ text, parsed: parsePayload(text), ready, dirty }), [text, ready, dirty, onState]);

  const statusId = `${id}-status`;
  return (
    <div className="field dl-editor">
      <label htmlFor={id}>Payload JSON</label>
      <textarea
        id={id}
        className="code dl-editor-text"
        rows={Math.min(24, Math.max(8, text.split("\n").length + 1))}
        spellCheck={false}
        value={text}
        readOnly={readOnly}
        aria-invalid={!parsed.ok || result?.valid === false}
        aria-describedby={statusId}
        onChange={(e) => setText(e.target.value)}
      />
      <div id={statusId} className="dl-editor-status small" role="status">
        {!parsed.ok ? (
          <p className="dl-invalid">✕ Not valid JSON: {parsed.message}</p>
        ) : check.error ? (
          <p className="dl-invalid">✕ Could not check against the schema: {check.error.message}</p>
        ) : result === undefined ? (
          <p className="muted">Checking against the task&apos;s schema…</p>
        ) : result.valid ? (
          <p className="dl-valid">✓ {result.checked ? "Matches the task's schema" : "Valid JSON (no schema stored for this letter)"}</p>
        ) : (
          <>
            <p className="dl-invalid">✕ Does not match the task&apos;s schema:</p>
            <ul className="dl-issues" aria-label="Schema issues">
              {result.issues.map((issue, i) => (
                <li key={i}>
                  <span className="mono">{issue.path || "(record)"}</span>: {issue.message}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}
