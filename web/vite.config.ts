/**
 * @module web/vite.config
 * Builds the live page of `strata serve` (web/) into dist/web/index.html: one self-contained
 * file — the script and the style sheet are inlined into the HTML — so the page works at `/`,
 * at `/campaigns/:id` and under any prefix a proxy puts in front, with nothing fetched but the
 * API. No CDN, no web fonts. `npx vite build --config web/vite.config.ts`. No units.
 */
import { defineConfig, type Plugin } from "vite";

const webRoot = decodeURIComponent(new URL(".", import.meta.url).pathname);
const outDir = decodeURIComponent(new URL("../dist/web", import.meta.url).pathname);

/** Replaces the entry's `<script src>` and `<link rel=stylesheet>` by their contents. */
function inlineIntoHtml(): Plugin {
  return {
    name: "strata-inline-into-html",
    enforce: "post",
    generateBundle(_options, bundle) {
      const html = Object.values(bundle).find((item) => item.type === "asset" && item.fileName.endsWith(".html"));
      if (!html || html.type !== "asset") return;
      let text = String(html.source);
      for (const [name, item] of Object.entries(bundle)) {
        if (item.type === "chunk" && item.isEntry) {
          const tag = new RegExp(`<script type="module"[^>]*src="[^"]*${escapeRegExp(item.fileName)}"[^>]*></script>`);
          if (!tag.test(text)) throw new Error(`web/vite.config.ts: the built HTML has no script tag for ${item.fileName}`);
          const code = item.code.replace(/<\/script/gi, "<\\/script");
          text = text.replace(tag, () => `<script type="module">\n${code}</script>`);
          delete bundle[name];
        } else if (item.type === "asset" && item.fileName.endsWith(".css")) {
          const tag = new RegExp(`<link rel="stylesheet"[^>]*href="[^"]*${escapeRegExp(item.fileName)}"[^>]*>`);
          if (!tag.test(text)) throw new Error(`web/vite.config.ts: the built HTML has no stylesheet link for ${item.fileName}`);
          const css = String(item.source).replace(/<\/style/gi, "<\\/style");
          text = text.replace(tag, () => `<style>\n${css}</style>`);
          delete bundle[name];
        }
      }
      html.source = text;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export default defineConfig({
  root: webRoot,
  base: "./",
  logLevel: "warn",
  plugins: [inlineIntoHtml()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    reportCompressedSize: false,
  },
});
