// Which storage presentation contexts a C-GET proposes, and how a retrieval
// is split when they do not fit in one association (issue 12).
//
// PS3.8 §9.3.2.2: an A-ASSOCIATE-RQ carries at most 128 presentation
// contexts (odd IDs 1-255) and the acceptor picks one transfer syntax per
// context (PS3.8 §9.3.3.2). PS3.4 C.4.3.1: the C-GET SCP sends each object on
// a context of its SOP class where the SCU took the SCP role, in a transfer
// syntax accepted there. To receive an object as it is stored, a context
// must therefore offer exactly that syntax; an acceptor that prefers
// uncompressed data (ours does, as does DCMTK's) would pick an uncompressed
// syntax from a mixed list and then have to transcode. So each stored
// syntax gets a context of its own (but Explicit VR LE, which the class's
// uncompressed context yields), and each SOP class one context of
// uncompressed syntaxes beside it, which the archive may use instead
// (transcoding, when it can).
import { type Dataset, Identifier, type QueryModel, UNIQUE_KEYS } from "../dataset/mod.ts";
import { Tag, Uid } from "../dictionary/mod.ts";
import type { ProposedPresentationContext } from "../association/mod.ts";
import { MAX_PRESENTATION_CONTEXTS } from "../pdu/mod.ts";
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from "../service/accepted_syntaxes.ts";
import type { NeededInstance } from "./_needed_classes.ts";

/**
 * The storage contexts one association can hold: 128 in all (PS3.8
 * §9.3.2.2), less the C-GET context itself.
 */
export const STORAGE_CONTEXTS_PER_ASSOCIATION = MAX_PRESENTATION_CONTEXTS - 1;

/**
 * The syntaxes proposed, each in a context of its own, for a SOP class whose
 * objects' stored syntaxes the peer did not tell, most common first: JPEG
 * Baseline, JPEG 2000 (lossless and lossy), JPEG Lossless SV1, JPEG-LS
 * lossless, RLE, Implicit VR LE, JPEG Extended, JPEG-LS near-lossless,
 * Explicit VR BE and JPEG Lossless process 14 (PS3.5 §A.1–A.4). Explicit VR
 * LE needs none: the class's uncompressed context yields it.
 */
export const LIKELY_STORED_SYNTAXES: readonly string[] = [
  Uid.JPEGBaseline8Bit,
  Uid.JPEG2000Lossless,
  Uid.JPEG2000,
  Uid.JPEGLosslessSV1,
  Uid.JPEGLSLossless,
  Uid.RLELossless,
  Uid.ImplicitVRLittleEndian,
  Uid.JPEGExtended12Bit,
  Uid.JPEGLSNearLossless,
  Uid.ExplicitVRBigEndian,
  Uid.JPEGLossless,
];

/** What a retrieval wants of its storage contexts. */
export type RetrievePreference = "stored" | "uncompressed";

/** One association's share of a retrieval: its storage contexts and what it asks for. */
export interface RetrieveBatch {
  /** Storage contexts, SCP role (at most {@linkcode STORAGE_CONTEXTS_PER_ASSOCIATION}). */
  readonly contexts: ProposedPresentationContext[];
  /**
   * The C-GET identifiers to send on it: the caller's query when one
   * association holds everything, else IMAGE level identifiers naming the
   * batch's instances, one per series (PS3.4 C.4.1.2.2.1: one unique key per
   * level above IMAGE, a list of SOP Instance UIDs at IMAGE).
   */
  readonly queries: Identifier[];
}

/** A storage context, SCP role, for a SOP class. */
function storageContext(
  abstractSyntax: string,
  transferSyntaxes: readonly string[],
): ProposedPresentationContext {
  return { abstractSyntax, transferSyntaxes, roles: { scu: false, scp: true } };
}

/**
 * The syntaxes an object needs a context of its own for, to arrive as
 * stored: its stored syntax when known, unless the acceptor's choice in the
 * uncompressed context (the first proposed, if it follows us) is that one;
 * the likely compressed ones when not known.
 */
function ownContextsFor(
  transferSyntax: string | undefined,
  uncompressed: readonly string[],
): readonly string[] {
  if (transferSyntax === undefined) return LIKELY_STORED_SYNTAXES;
  return transferSyntax === uncompressed[0] ? [] : [transferSyntax];
}

/** The contexts for SOP classes and their compressed syntaxes (class → syntaxes). */
function contextsFor(
  needs: ReadonlyMap<string, ReadonlySet<string>>,
  uncompressed: readonly string[],
): ProposedPresentationContext[] {
  const out: ProposedPresentationContext[] = [];
  for (const [sopClass, syntaxes] of needs) {
    out.push(storageContext(sopClass, uncompressed));
    for (const ts of syntaxes) out.push(storageContext(sopClass, [ts]));
  }
  return out;
}

/**
 * How many of the SOP classes proposed without knowing the instances get
 * contexts for {@linkcode LIKELY_STORED_SYNTAXES} when not all of them
 * fit: the first ones given (found by C-FIND, else the commonest image
 * classes, {@linkcode COMMON_STORAGE_SOP_CLASSES}' first: CT, MR, Secondary
 * Capture). 3 × 12 contexts leave 91 for uncompressed contexts of other
 * classes, so a guess stays broad.
 */
const CLASSES_WITH_STORED_SYNTAXES = 3;

/**
 * The storage contexts for SOP classes whose instances are not known (given
 * by the caller, or guessed): with `prefer` "stored", an uncompressed
 * context and one per likely stored syntax for each class while they all
 * fit; when they do not, for the first {@linkcode CLASSES_WITH_STORED_SYNTAXES}
 * classes only, then uncompressed contexts for as many of the others as fit.
 */
export function contextsForClasses(
  classes: readonly string[],
  prefer: RetrievePreference,
  uncompressed: readonly string[],
): ProposedPresentationContext[] {
  if (prefer === "uncompressed") {
    return classes.slice(0, STORAGE_CONTEXTS_PER_ASSOCIATION).map((c) =>
      storageContext(c, uncompressed)
    );
  }
  const perClass = 1 + LIKELY_STORED_SYNTAXES.length;
  const rich = classes.length * perClass <= STORAGE_CONTEXTS_PER_ASSOCIATION
    ? classes.length
    : Math.min(classes.length, CLASSES_WITH_STORED_SYNTAXES);
  const out: ProposedPresentationContext[] = [];
  for (const c of classes.slice(0, rich)) {
    out.push(storageContext(c, uncompressed));
    for (const ts of LIKELY_STORED_SYNTAXES) out.push(storageContext(c, [ts]));
  }
  for (const c of classes.slice(rich)) {
    if (out.length >= STORAGE_CONTEXTS_PER_ASSOCIATION) break;
    out.push(storageContext(c, uncompressed));
  }
  return out;
}

/**
 * Plans a retrieval of the instances a preliminary C-FIND found: one batch
 * with the caller's query when their contexts fit in one association, else
 * batches of instances whose contexts fit, each C-GET narrowed to them.
 */
export function planRetrieve(
  query: Identifier,
  instances: readonly NeededInstance[],
  prefer: RetrievePreference,
  uncompressed: readonly string[] = UNCOMPRESSED_TRANSFER_SYNTAXES,
): RetrieveBatch[] {
  // A group: instances of one SOP class that need the same compressed contexts.
  const groups = new Map<
    string,
    { sopClass: string; syntaxes: readonly string[]; of: NeededInstance[] }
  >();
  for (const i of instances) {
    const syntaxes = prefer === "uncompressed"
      ? []
      : ownContextsFor(i.transferSyntax, uncompressed);
    const key = `${i.sopClassUid} ${syntaxes.join(",")}`;
    let group = groups.get(key);
    if (!group) groups.set(key, group = { sopClass: i.sopClassUid, syntaxes, of: [] });
    group.of.push(i);
  }
  const all = new Map<string, Set<string>>();
  for (const g of groups.values()) {
    const set = all.get(g.sopClass) ?? new Set<string>();
    for (const ts of g.syntaxes) set.add(ts);
    all.set(g.sopClass, set);
  }
  const whole = contextsFor(all, uncompressed);
  if (whole.length <= STORAGE_CONTEXTS_PER_ASSOCIATION) {
    return [{ contexts: whole, queries: [query] }];
  }
  // Too many: pack the groups into batches, first fit (a group costs at most
  // 1 + LIKELY_STORED_SYNTAXES.length contexts, far below the limit).
  const batches: { needs: Map<string, Set<string>>; size: number; of: NeededInstance[] }[] = [];
  for (const g of groups.values()) {
    const cost = (needs: Map<string, Set<string>>) => {
      const have = needs.get(g.sopClass);
      if (!have) return 1 + g.syntaxes.length;
      return g.syntaxes.filter((ts) => !have.has(ts)).length;
    };
    let batch = batches.find((b) => b.size + cost(b.needs) <= STORAGE_CONTEXTS_PER_ASSOCIATION);
    if (!batch) batches.push(batch = { needs: new Map(), size: 0, of: [] });
    batch.size += cost(batch.needs);
    const set = batch.needs.get(g.sopClass) ?? new Set<string>();
    for (const ts of g.syntaxes) set.add(ts);
    batch.needs.set(g.sopClass, set);
    batch.of.push(...g.of);
  }
  return batches.map((b) => ({
    contexts: contextsFor(b.needs, uncompressed),
    queries: narrowedQueries(query.model, b.of),
  }));
}

/**
 * IMAGE level identifiers for `instances`, one per series: the unique keys
 * of the levels above, and the list of SOP Instance UIDs (PS3.4
 * C.4.1.2.2.1, C.2.2.2.2).
 */
function narrowedQueries(model: QueryModel, instances: readonly NeededInstance[]): Identifier[] {
  const bySeries = new Map<string, { keys: Dataset; uids: string[] }>();
  for (const i of instances) {
    const series = i.keys.string(UNIQUE_KEYS.SERIES) ?? "";
    const study = i.keys.string(UNIQUE_KEYS.STUDY) ?? "";
    const key = `${study} ${series}`;
    let entry = bySeries.get(key);
    if (!entry) bySeries.set(key, entry = { keys: i.keys, uids: [] });
    const uid = i.keys.string(UNIQUE_KEYS.IMAGE);
    if (uid !== undefined) entry.uids.push(uid);
  }
  return [...bySeries.values()].map(({ keys, uids }) => {
    const q = new Identifier(model, "IMAGE");
    for (const el of keys) if (el.tag !== Tag.SOPInstanceUID) q.setElement(el);
    return q.set(Tag.SOPInstanceUID, uids, "UI");
  });
}
