import { useState, type FormEvent } from "react";
import type { DagDetail, JsonSchema } from "../api/types";
import { logicalDateLabel } from "../format/time";
import { navigate, withSearch } from "../router";
import { Dialog } from "../ui/Dialog";
import { useTriggerDag, useTriggerInterval } from "./useDags";

type Values = Record<string, string | boolean>;

const typeOf = (s: JsonSchema): string => (Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? "string") : (s.type ?? (s.enum ? "enum" : "string")));

function initialValues(schema: JsonSchema | null): Values {
  const values: Values = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    const t = typeOf(prop);
    if (t === "boolean") values[name] = prop.default === true;
    else if (t === "object" || t === "array") values[name] = prop.default === undefined ? "" : JSON.stringify(prop.default, null, 2);
    else values[name] = prop.default === undefined || prop.default === null ? "" : String(prop.default);
  }
  return values;
}

/** The conf object from the form, or the name of the field that is not valid. */
function toConf(schema: JsonSchema | null, values: Values): { conf: Record<string, unknown> } | { error: string } {
  const conf: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    const raw = values[name];
    const t = typeOf(prop);
    if (t === "boolean") {
      conf[name] = raw === true;
      continue;
    }
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "") continue;
    if (t === "number" || t === "integer") {
      const n = Number(text);
      if (!Number.isFinite(n) || (t === "integer" && !Number.isInteger(n))) return { error: `${name}: enter ${t === "integer" ? "a whole number" : "a number"}` };
      conf[name] = n;
    } else if (t === "object" || t === "array") {
      try {
        conf[name] = JSON.parse(text);
      } catch {
        return { error: `${name}: not valid JSON` };
      }
    } else if (prop.enum) {
      conf[name] = prop.enum.find((e) => String(e) === text) ?? text;
    } else conf[name] = typeof raw === "string" ? raw : text;
  }
  return { conf };
}

function Field({ name, prop, required, value, onChange }: { name: string; prop: JsonSchema; required: boolean; value: string | boolean; onChange: (v: string | boolean) => void }) {
  const id = `param-${name}`;
  const t = typeOf(prop);
  const label = prop.title ?? name;
  const hint = prop.description && <span className="field-hint muted small">{prop.description}</span>;
  if (t === "boolean")
    return (
      <div className="field field-check">
        <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        <label htmlFor={id}>{label}</label>
        {hint}
      </div>
    );
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required && <span aria-hidden="true"> *</span>}
      </label>
      {prop.enum ? (
        <select id={id} required={required} value={String(value)} onChange={(e) => onChange(e.target.value)}>
          {!required && <option value="">—</option>}
          {prop.enum.map((o) => (
            <option key={String(o)} value={String(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      ) : t === "object" || t === "array" ? (
        <textarea id={id} className="mono" rows={4} required={required} value={String(value)} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input
          id={id}
          type={t === "number" || t === "integer" ? "number" : prop.format === "date" ? "date" : "text"}
          step={t === "integer" ? 1 : t === "number" ? "any" : undefined}
          min={prop.minimum}
          max={prop.maximum}
          required={required}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {hint}
    </div>
  );
}

/** The logical date the dialog sends: its UTC date-time field as ISO, or undefined when empty. */
function logicalDateIso(value: string): string | undefined {
  const date = new Date(`${value}Z`);
  return value && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/** Which interval the run will cover: the server's answer for the date as typed (or none). */
function CoveredInterval({ dagId, logicalDate, open }: { dagId: string; logicalDate: string | undefined; open: boolean }) {
  const interval = useTriggerInterval(dagId, logicalDate, open);
  if (interval.isError) return <p className="field-hint muted small">Could not tell which interval: {interval.error.message}</p>;
  const d = interval.data;
  if (!d) return <p className="field-hint muted small">Checking which interval this run covers…</p>;
  const point = d.dataIntervalStart === d.dataIntervalEnd;
  return (
    <p className="field-hint small" role="status" aria-label="Interval covered">
      {point ? (
        <>This run covers the instant {logicalDateLabel(d.dataIntervalStart)} (the DAG has no cron schedule)</>
      ) : (
        <>
          This run covers [{logicalDateLabel(d.dataIntervalStart)}, {logicalDateLabel(d.dataIntervalEnd)})
          {d.inferred ? ", the last complete interval" : ""}
        </>
      )}
      , logical date {logicalDateLabel(d.logicalDate)}.
    </p>
  );
}

/** A form generated from the DAG's params schema, plus an optional logical date. */
export function TriggerDialog({ dag, open, onClose }: { dag: DagDetail; open: boolean; onClose: () => void }) {
  const trigger = useTriggerDag(dag.dagId);
  const schema = dag.paramsSchema as JsonSchema | null;
  const [values, setValues] = useState<Values>(() => initialValues(schema));
  const [logicalDate, setLogicalDate] = useState("");
  const [formError, setFormError] = useState<string>();
  const properties = Object.entries(schema?.properties ?? {});
  const required = new Set(schema?.required ?? []);

  const close = (): void => {
    trigger.reset();
    setFormError(undefined);
    onClose();
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const result = toConf(schema, values);
    if ("error" in result) {
      setFormError(result.error);
      return;
    }
    setFormError(undefined);
    const iso = logicalDateIso(logicalDate);
    const body = iso ? { conf: result.conf, logicalDate: iso } : { conf: result.conf };
    trigger.mutate(body, {
      onSuccess: () => {
        close();
        navigate(withSearch({ tab: undefined }));
      },
    });
  };

  return (
    <Dialog title={`Trigger ${dag.dagId}`} open={open} onClose={close}>
      <form onSubmit={submit} className="form">
        {properties.length === 0 ? (
          <p className="muted">This DAG takes no parameters.</p>
        ) : (
          <fieldset className="fieldset">
            <legend>Parameters</legend>
            {properties.map(([name, prop]) => (
              <Field key={name} name={name} prop={prop} required={required.has(name)} value={values[name] ?? ""} onChange={(v) => setValues((old) => ({ ...old, [name]: v }))} />
            ))}
          </fieldset>
        )}
        <div className="field">
          <label htmlFor="trigger-logical-date">Logical date (UTC, optional)</label>
          <input id="trigger-logical-date" type="datetime-local" value={logicalDate} onChange={(e) => setLogicalDate(e.target.value)} />
          <span className="field-hint muted small">Empty: the last complete interval.</span>
        </div>
        <CoveredInterval dagId={dag.dagId} logicalDate={logicalDateIso(logicalDate)} open={open} />
        {(formError ?? trigger.error) && (
          <p role="alert" className="banner banner-error small">
            {formError ?? trigger.error?.message}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={trigger.isPending}>
            Trigger
          </button>
        </div>
      </form>
    </Dialog>
  );
}
