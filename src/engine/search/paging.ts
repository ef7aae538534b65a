/**
 * Pagination over a ranked search: `offset` (a page searches offset + k, so the segments pick the
 * settings calibrated for that depth) or a `searchAfter` cursor (the last hit's score and id).
 * The order is stable: score descending, then id ascending, so page 2 of k = 10 is hits 11-20 of
 * k = 20 (the same search at the same depth) and a cursor continues exactly where its page ended.
 */
import type { Hit } from '../../core/types.js';
import { AppError } from '../../errors.js';

export interface PageRequest {
  offset?: number;
  searchAfter?: { score: number; id: string };
}

/** Checks a page against the deepest search allowed (INVALID_PAGE). */
export function checkPage(page: PageRequest, k: number, maxDepth: number): void {
  const { offset, searchAfter } = page;
  if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) throw new AppError('INVALID_PAGE', `offset must be an integer >= 0, got ${offset}`);
  if ((offset ?? 0) + k > maxDepth) {
    throw new AppError('INVALID_PAGE', `offset + k must be at most ${maxDepth}, got ${(offset ?? 0) + k}: page with searchAfter instead`, { extra: { limit: maxDepth } });
  }
  if (searchAfter === undefined) return;
  if (offset !== undefined && offset > 0) throw new AppError('INVALID_PAGE', 'give offset or searchAfter, not both');
  if (searchAfter === null || typeof searchAfter !== 'object' || !Number.isFinite(searchAfter.score) || typeof searchAfter.id !== 'string') {
    throw new AppError('INVALID_PAGE', 'searchAfter must be {score, id} of the last hit of the previous page');
  }
}

/**
 * The page's hits. `rank(n)` runs the search at depth n (hits by score); `idOf` names a docno, and
 * is asked only where scores tie. When the deepest fetched hits tie, the search goes deeper until
 * the tie group is complete (or the depth limit), so ids, not docnos, decide which tied hits make the cut
 * (not for hybrid fusion, whose scores depend on the depth).
 */
export async function pageHits(
  rank: (n: number) => Promise<Hit[]>,
  idOf: (docno: number) => string,
  k: number,
  page: PageRequest,
  maxDepth: number,
  /** false for hybrid fusion: a deeper fused search fuses more candidates, which changes the scores */
  completeTies = true,
): Promise<Hit[]> {
  const ids = new IdsOf(idOf);
  const after = page.searchAfter;
  const offset = page.offset ?? 0;
  let n = after === undefined ? offset + k : Math.min(maxDepth, 2 * k);
  for (;;) {
    const hits = ordered(await rank(n), ids);
    const exhausted = hits.length < n || n >= maxDepth;
    const tiedAtCut = completeTies && !exhausted && n >= 2 && hits[n - 1].score === hits[n - 2].score;
    if (after === undefined) {
      if (exhausted || !tiedAtCut) return hits.slice(offset, offset + k);
    } else {
      const rest = hits.filter((h) => h.score < after.score || (h.score === after.score && ids.of(h) > after.id));
      if (exhausted || (rest.length >= k && !tiedAtCut)) return rest.slice(0, k);
    }
    n = Math.min(maxDepth, 2 * n);
  }
}

/** Hits' ids, each asked of `idOf` once. */
class IdsOf {
  private readonly ids = new Map<number, string>();

  constructor(private readonly idOf: (docno: number) => string) {}

  of(h: Hit): string {
    let found = this.ids.get(h.docno);
    if (found === undefined) this.ids.set(h.docno, (found = this.idOf(h.docno)));
    return found;
  }
}

/**
 * The hits by score descending, then id ascending; never changes `hits`. Hits whose scores already
 * strictly decrease (the usual answer: ranked, no ties) are that order as they are: no ids are read.
 */
function ordered(hits: readonly Hit[], ids: IdsOf): readonly Hit[] {
  let i = 1;
  while (i < hits.length && hits[i - 1].score > hits[i].score) i++;
  if (i >= hits.length) return hits;
  return [...hits].sort((a, b) => b.score - a.score || (ids.of(a) < ids.of(b) ? -1 : ids.of(a) > ids.of(b) ? 1 : 0));
}
