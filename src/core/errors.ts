/**
 * @module core/errors
 * The project's error classes. Every error a user can cause derives from
 * {@link EngineError} and carries a machine-readable `code`; the CLI maps these
 * to a one-line message and exit code 2. Anything else is a bug (exit code 1).
 */

export type EngineErrorCode =
  | "parse"
  | "validation"
  | "constraint-cycle"
  | "unknown-parameter"
  | "fit-aborted"
  | "data";

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A file could not be read: names the file and, where known, the line (1-based) or byte offset. */
export class ParseError extends EngineError {
  readonly file: string;
  readonly line: number | undefined;
  readonly offset: number | undefined;
  constructor(file: string, message: string, where: { line?: number; offset?: number } = {}) {
    const loc =
      where.line !== undefined ? `:${where.line}` : where.offset !== undefined ? ` (byte ${where.offset})` : "";
    super("parse", `${file}${loc}: ${message}`);
    this.file = file;
    this.line = where.line;
    this.offset = where.offset;
  }
}

/** A value is invalid: names the JSON path or field and the offending value. */
export class ValidationError extends EngineError {
  readonly path: string;
  readonly value: unknown;
  constructor(path: string, message: string, value?: unknown) {
    super("validation", `${path}: ${message}${value === undefined ? "" : ` (got ${formatValue(value)})`}`);
    this.path = path;
    this.value = value;
  }
}

/** A set of algebraic constraints refers back to itself. */
export class ConstraintCycleError extends EngineError {
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super("constraint-cycle", `constraint cycle: ${cycle.join(" -> ")}`);
    this.cycle = cycle;
  }
}

/** An expression or reference names a parameter that does not exist. */
export class UnknownParameterError extends EngineError {
  readonly parameter: string;
  constructor(parameter: string, where: string) {
    super("unknown-parameter", `${where}: unknown parameter "${parameter}"`);
    this.parameter = parameter;
  }
}

export class FitAbortedError extends EngineError {
  readonly reason: "maxEvaluations" | "cancelled" | "timeout" | "nan";
  constructor(reason: FitAbortedError["reason"], message: string) {
    super("fit-aborted", message);
    this.reason = reason;
  }
}

/** Short, single-line rendering of an offending value for error messages. */
export function formatValue(value: unknown): string {
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  if (value === undefined) return "undefined";
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? s.slice(0, 77) + "..." : s;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An error's message on one line (line breaks and their indentation become one space), at most 400 characters: what a job, a work item or a worker thread reports. */
export function oneLineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, " ").slice(0, 400);
}
