/**
 * @module io/json
 * Reading JSON documents with errors that name the file, line and column.
 */
import fs from "node:fs";
import { ParseError } from "../core/errors.ts";

/** Read and parse a JSON file; a syntax error names the file, line and column. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ParseError(file, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return parseJsonText(text, file);
}

/** Parse JSON text; a syntax error names the source, line and column. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    if (position) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset);
      const line = before.split("\n").length;
      const column = offset - before.lastIndexOf("\n");
      throw new ParseError(source, `invalid JSON at column ${column}: ${message.replace(/ in JSON at position \d+.*$/, "")}`, { line });
    }
    throw new ParseError(source, `invalid JSON: ${message}`);
  }
}
