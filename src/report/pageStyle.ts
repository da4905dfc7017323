/**
 * @module report/pageStyle
 * The look every Strata report shares (diagnosis, fit, impedance): page width, type,
 * headings and the verdict box, as CSS rules each page's own style block starts with.
 * No units.
 */
export const REPORT_BASE_CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem auto;max-width:1360px;color:#222;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.3rem} h2{margin-top:2rem;border-bottom:2px solid #ddd} h3{margin-bottom:.3rem}
.verdict{font-size:1.15rem;background:#f3f7ff;border-left:5px solid #1f77b4;padding:.8rem 1rem;margin:1rem 0}`;
