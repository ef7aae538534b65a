/**
 * An SVG chart of an evaluation: latency p50 (x, ms) against nDCG@10 and recall@10 vs exact (y),
 * one point per report entry, each labelled. Written by hand: two series on one 0..1 axis.
 */
import { entryLabel, type ReportEntry } from './report.js';

const W = 720;
const H = 420;
const M = { left: 60, right: 180, top: 40, bottom: 50 };

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" upper bound for an axis: 1, 2 or 5 × 10^n at or above max. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const pow = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * pow >= max) return m * pow;
  return 10 * pow;
}

const LABEL_FONT = 10;
const LABEL_HEIGHT = 12;
/** Width of a label in px at LABEL_FONT: generous for sans-serif (0.6 em per character). */
const labelWidth = (text: string) => text.length * LABEL_FONT * 0.6;

export interface LabelBox {
  x: number;
  y: number; // baseline
  width: number;
  anchor: 'start' | 'end';
}

function overlaps(a: LabelBox, b: LabelBox): boolean {
  const left = (l: LabelBox) => (l.anchor === 'start' ? l.x : l.x - l.width);
  return left(a) < left(b) + b.width && left(b) < left(a) + a.width && a.y - LABEL_HEIGHT < b.y && b.y - LABEL_HEIGHT < a.y;
}

/**
 * Where each point's label goes: right of the point (left of it near the right edge), moved up or
 * down in steps of one line until it overlaps no label placed before it.
 */
export function placeLabels(points: ReadonlyArray<{ x: number; y: number; text: string }>, right = W): LabelBox[] {
  const placed: LabelBox[] = [];
  for (const p of points) {
    const width = labelWidth(p.text);
    const anchor = p.x + 7 + width > right ? 'end' : 'start';
    const x = anchor === 'start' ? p.x + 7 : p.x - 7;
    let box: LabelBox = { x, y: p.y - 6, width, anchor };
    for (let step = 1; placed.some((q) => overlaps(box, q)) && step < 200; step++) {
      const shift = Math.ceil(step / 2) * LABEL_HEIGHT * (step % 2 === 1 ? 1 : -1);
      box = { x, y: p.y - 6 + shift, width, anchor };
    }
    placed.push(box);
  }
  return placed;
}

export function renderChart(entries: readonly ReportEntry[], title: string): string {
  const xMax = niceMax(Math.max(0, ...entries.map((e) => e.latency_ms.p50)) * 1.1);
  const yValues = entries.flatMap((e) => [e.ndcg_at_10, e.recall_vs_exact ?? e.ndcg_at_10]);
  const yMin = Math.max(0, Math.floor((Math.min(1, ...yValues) - 0.05) * 10) / 10);
  const px = (x: number) => M.left + (x / xMax) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((y - yMin) / (1 - yMin)) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const x = (xMax * i) / 5;
    const y = yMin + ((1 - yMin) * i) / 5;
    out.push(`<line x1="${px(x)}" y1="${py(yMin)}" x2="${px(x)}" y2="${py(1)}" stroke="#eee"/>`);
    out.push(`<text x="${px(x)}" y="${H - M.bottom + 18}" text-anchor="middle">${+x.toPrecision(3)}</text>`);
    out.push(`<line x1="${px(0)}" y1="${py(y)}" x2="${px(xMax)}" y2="${py(y)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 8}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(2)}</text>`);
  }
  out.push(`<line x1="${px(0)}" y1="${py(yMin)}" x2="${px(xMax)}" y2="${py(yMin)}" stroke="black"/>`);
  out.push(`<line x1="${px(0)}" y1="${py(yMin)}" x2="${px(0)}" y2="${py(1)}" stroke="black"/>`);
  out.push(`<text x="${(px(0) + px(xMax)) / 2}" y="${H - 12}" text-anchor="middle">latency p50 per query (ms)</text>`);
  out.push(`<text transform="translate(16 ${(py(yMin) + py(1)) / 2}) rotate(-90)" text-anchor="middle">score</text>`);
  const labels = placeLabels(entries.map((e) => ({ x: px(e.latency_ms.p50), y: py(e.ndcg_at_10), text: entryLabel(e) })), W - 4);
  entries.forEach((e, i) => {
    const x = px(e.latency_ms.p50);
    out.push(`<circle cx="${x}" cy="${py(e.ndcg_at_10)}" r="4" fill="#1f77b4"><title>${escapeXml(`${entryLabel(e)}: nDCG@10 ${e.ndcg_at_10.toFixed(4)}`)}</title></circle>`);
    if (e.recall_vs_exact !== null) {
      out.push(`<rect x="${x - 4}" y="${py(e.recall_vs_exact) - 4}" width="8" height="8" fill="#ff7f0e"><title>${escapeXml(`${entryLabel(e)}: recall@10 vs exact ${e.recall_vs_exact.toFixed(3)}`)}</title></rect>`);
    }
    const l = labels[i];
    out.push(`<text x="${l.x}" y="${l.y}" text-anchor="${l.anchor}" font-size="${LABEL_FONT}" fill="#444">${escapeXml(entryLabel(e))}</text>`);
  });
  const lx = W - M.right + 16;
  out.push(`<circle cx="${lx}" cy="${M.top + 10}" r="4" fill="#1f77b4"/><text x="${lx + 10}" y="${M.top + 14}">nDCG@10</text>`);
  out.push(`<rect x="${lx - 4}" y="${M.top + 26}" width="8" height="8" fill="#ff7f0e"/><text x="${lx + 10}" y="${M.top + 34}">recall@10 vs exact</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
