/**
 * @module web/dom
 * Small DOM helpers: build an element with text and attributes, and a table of numbers (every
 * plot's accessible alternative). Text is always set as text, never parsed as HTML. No units.
 */

export type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** A table with a header row; cells are strings. */
export function table(caption: string, headers: string[], rows: string[][]): HTMLTableElement {
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((row) => el("tr", {}, ...row.map((cell) => el("td", {}, cell))))),
  );
}

/** A closed "data" disclosure holding the table of a plot's numbers. */
export function dataDetails(caption: string, headers: string[], rows: string[][]): HTMLDetailsElement {
  return el("details", { class: "data" }, el("summary", {}, `data (${rows.length} rows)`), table(caption, headers, rows));
}
