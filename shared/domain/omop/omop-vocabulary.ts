import { InputError } from '../errors.js';

/**
 * An OHDSI standardised vocabulary export (Athena's CONCEPT.csv and CONCEPT_RELATIONSHIP.csv,
 * tab-separated with a header row), reduced to what the export needs: for a source code in a
 * vocabulary, its source concept and the standard concept it 'Maps to'. Pure: the caller reads the
 * files. Without a vocabulary every concept id is 0 and the codes stay in `*_source_value`.
 */
export interface OmopVocabulary {
  /** The source concept of `code` in `vocabularyId`, and its standard concept (0 when not mapped). */
  lookup(vocabularyId: OmopSourceVocabulary, code: string): OmopConceptMapping | undefined;
  readonly concepts: number;
  readonly mappings: number;
}

export interface OmopConceptMapping {
  readonly sourceConceptId: number;
  readonly standardConceptId: number;
}

/**
 * The OHDSI vocabulary ids of the source codes gold holds. 'ICD10' (WHO ICD-10), 'OPCS4', 'SNOMED'
 * and 'dm+d' are Athena vocabulary ids; BNF presentation codes have no Athena vocabulary (unverified
 * for every Athena release), so prescribing maps only where the vocabulary holds the code as 'dm+d'.
 */
export type OmopSourceVocabulary = 'ICD10' | 'OPCS4' | 'SNOMED' | 'dm+d';

const CONCEPT_COLUMNS = ['concept_id', 'vocabulary_id', 'concept_code', 'standard_concept', 'invalid_reason'];
const RELATIONSHIP_COLUMNS = ['concept_id_1', 'concept_id_2', 'relationship_id', 'invalid_reason'];

/** Builds the lookup from the two files' text; throws a coded InputError when a column is missing. */
export function parseOmopVocabulary(conceptTsv: string, relationshipTsv: string): OmopVocabulary {
  const concepts = tsvRows(conceptTsv, 'CONCEPT.csv', CONCEPT_COLUMNS);
  const bySource = new Map<string, number>();
  const standard = new Set<number>();
  for (const r of concepts) {
    const id = Number(r.concept_id);
    if (!Number.isInteger(id)) continue;
    bySource.set(`${r.vocabulary_id}\u0000${r.concept_code}`, id);
    if (r.standard_concept === 'S' && !r.invalid_reason) standard.add(id);
  }
  const mapsTo = new Map<number, number>();
  for (const r of tsvRows(relationshipTsv, 'CONCEPT_RELATIONSHIP.csv', RELATIONSHIP_COLUMNS)) {
    if (r.relationship_id !== 'Maps to' || r.invalid_reason) continue;
    const from = Number(r.concept_id_1);
    const to = Number(r.concept_id_2);
    // A concept may map to several standard concepts (rare); the lowest id is kept, so runs agree.
    if (standard.has(to) && (!mapsTo.has(from) || to < (mapsTo.get(from) ?? to))) mapsTo.set(from, to);
  }
  return {
    concepts: bySource.size,
    mappings: mapsTo.size,
    lookup(vocabularyId, code) {
      for (const candidate of codeForms(vocabularyId, code)) {
        const sourceConceptId = bySource.get(`${vocabularyId}\u0000${candidate}`);
        if (sourceConceptId !== undefined)
          return {
            sourceConceptId,
            standardConceptId: standard.has(sourceConceptId)
              ? sourceConceptId
              : (mapsTo.get(sourceConceptId) ?? 0),
          };
      }
      return undefined;
    },
  };
}

/**
 * The spellings a source code may have in the vocabulary: as gold holds it, and for ICD-10 and
 * OPCS-4 with the dot after the third character (NHS records drop it: I219 is I21.9).
 */
export function codeForms(vocabularyId: OmopSourceVocabulary, code: string): string[] {
  const trimmed = code.trim();
  if ((vocabularyId === 'ICD10' || vocabularyId === 'OPCS4') && trimmed.length > 3 && !trimmed.includes('.'))
    return [trimmed, `${trimmed.slice(0, 3)}.${trimmed.slice(3)}`];
  return [trimmed];
}

function tsvRows(text: string, file: string, required: readonly string[]): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split('\t');
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new InputError(
      `omop vocabulary: ${file} has no column ${missing.join(', ')} (expected Athena's tab-separated export with a header row)`,
    );
  return lines.slice(1).map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}
