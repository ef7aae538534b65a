/**
 * Tiered merge policy (pure). Segments are grouped in tiers by live size (tier t holds sizes in
 * [base·f^t, base·f^(t+1)), f = mergeFactor); a tier with f segments is merged into one, never
 * producing more than maxSegmentDocs live documents. A segment whose deleted share exceeds
 * reclaimDeletedFraction is rewritten (alone, or with its tier-mates when that merge is due).
 */
export interface SegmentInfo {
  id: string;
  docs: number; // documents in the file, deleted ones included
  deleted: number;
}

export interface MergePolicyParams {
  mergeFactor: number;
  maxSegmentDocs: number;
  reclaimDeletedFraction: number;
  /** size of the smallest tier (the mutable segment's capacity) */
  baseDocs: number;
}

const live = (s: SegmentInfo): number => s.docs - s.deleted;

export function tierOf(liveDocs: number, p: MergePolicyParams): number {
  if (liveDocs <= p.baseDocs) return 0;
  return Math.floor(Math.log(liveDocs / p.baseDocs) / Math.log(p.mergeFactor)) + 1;
}

/** Merges to run now: disjoint groups of segment ids (a group of one is a rewrite). */
export function findMerges(segments: SegmentInfo[], p: MergePolicyParams): string[][] {
  const merges: string[][] = [];
  const used = new Set<string>();
  const tiers = new Map<number, SegmentInfo[]>();
  for (const s of segments) {
    if (live(s) >= p.maxSegmentDocs) continue; // full size: only a reclaim rewrites it
    const t = tierOf(live(s), p);
    tiers.set(t, [...(tiers.get(t) ?? []), s]);
  }
  for (const t of [...tiers.keys()].sort((a, b) => a - b)) {
    const group = tiers.get(t)!.sort((a, b) => live(a) - live(b));
    while (group.length >= p.mergeFactor) {
      const take: SegmentInfo[] = [];
      let total = 0;
      for (const s of group) {
        if (take.length === p.mergeFactor || total + live(s) > p.maxSegmentDocs) break;
        take.push(s);
        total += live(s);
      }
      if (take.length < 2) break;
      for (const s of take) group.splice(group.indexOf(s), 1);
      merges.push(take.map((s) => s.id));
      take.forEach((s) => used.add(s.id));
    }
  }
  for (const s of segments) {
    if (used.has(s.id) || s.docs === 0) continue;
    if (s.deleted / s.docs > p.reclaimDeletedFraction) {
      merges.push([s.id]);
      used.add(s.id);
    }
  }
  return merges;
}

/** optimize(): merge everything into as few segments as maxSegmentDocs allows (smallest first). */
export function planOptimize(segments: SegmentInfo[], p: MergePolicyParams): string[][] {
  const sorted = [...segments].sort((a, b) => live(a) - live(b));
  const groups: SegmentInfo[][] = [];
  let current: SegmentInfo[] = [];
  let total = 0;
  for (const s of sorted) {
    if (current.length > 0 && total + live(s) > p.maxSegmentDocs) {
      groups.push(current);
      current = [];
      total = 0;
    }
    current.push(s);
    total += live(s);
  }
  if (current.length > 0) groups.push(current);
  // A lone segment is rewritten only when it carries deleted documents.
  return groups.filter((g) => g.length > 1 || g[0].deleted > 0).map((g) => g.map((s) => s.id));
}
