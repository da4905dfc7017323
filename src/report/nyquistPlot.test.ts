import { describe, expect, it } from "vitest";
import { nyquistPlot } from "./nyquistPlot.ts";

/** Equal aspect: Ω per pixel along Z′ and −Z″ agree to the 6 digits the attributes carry. */
const EQUAL_SCALE_RTOL = 1e-5;

const circles = (svg: string): { cx: number; cy: number }[] =>
  [...svg.matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)"/g)].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]) }));

describe("nyquistPlot", () => {
  it("draws a semicircle as a semicircle: equal Ω per pixel on both axes, whatever the data's aspect, −Z″ up", () => {
    // R = 100 Ω arc: 100 Ω wide, 50 Ω high, on a 20 Ω offset
    const n = 41;
    const real: number[] = [];
    const imag: number[] = [];
    for (let i = 0; i < n; i++) {
      const angle = (Math.PI * i) / (n - 1);
      real.push(70 + 50 * Math.cos(angle));
      imag.push(-50 * Math.sin(angle));
    }
    for (const [width, height] of [
      [520, 440],
      [400, 700],
    ]) {
      const svg = nyquistPlot([{ name: "data", real, imag, color: "#000", style: "points" }], { title: "arc", width, height });
      const scaleX = Number(/data-scale-x="([^"]+)"/.exec(svg)![1]);
      const scaleY = Number(/data-scale-y="([^"]+)"/.exec(svg)![1]);
      expect(Math.abs(scaleX / scaleY - 1)).toBeLessThanOrEqual(EQUAL_SCALE_RTOL);
      const points = circles(svg.slice(svg.indexOf('class="series"'), svg.indexOf('<g class="legend"')));
      expect(points.length).toBe(n);
      // on screen: the apex (largest −Z″) is the highest point, and the arc is as high as it is half wide
      const top = points.reduce((a, b) => (b.cy < a.cy ? b : a));
      expect(top).toEqual(points[(n - 1) / 2]);
      const halfWidth = (Math.max(...points.map((p) => p.cx)) - Math.min(...points.map((p) => p.cx))) / 2;
      const rise = points[0].cy - top.cy;
      expect(Math.abs(rise / halfWidth - 1)).toBeLessThan(0.01);
    }
  });

  it("skips non-finite points and labels its axes with the unit", () => {
    const svg = nyquistPlot(
      [
        { name: "data", real: [1, Number.NaN, 3], imag: [-1, -2, Number.POSITIVE_INFINITY], color: "#000", style: "points" },
        { name: "model", real: [1, 2, 3], imag: [-1, -2, -1], color: "#f00" },
      ],
      { title: "t" },
    );
    expect(circles(svg.slice(svg.indexOf('class="series"'), svg.indexOf("<polyline"))).length).toBe(1);
    expect(svg).toContain('<text class="x-label"');
    expect(svg).toMatch(/>Z′ \(Ω\)<\/text>/);
    expect(svg).toMatch(/>−Z″ \(Ω\)<\/text>/);
    expect(/<polyline class="series" data-name="model"[^>]* points="([^"]+)"/.exec(svg)![1].split(" ").length).toBe(3);
  });
});
