import { z } from 'zod';
import { ConfigError } from '../errors.js';

/**
 * A statistical disclosure control policy, as data: what a published table may show.
 *
 * The default is NHS Digital's rule for HES and ECDS sub-national outputs from 13 September 2018
 * (shared/nhs/REFERENCE.md §9.1; "rounded to the nearest 5" is partially verified there). Other
 * NHS England products use other thresholds, so a project may declare its own policy in its
 * configuration; it is validated with {@link disclosurePolicySchema} before use
 * ({@link parseDisclosurePolicy}). docs/disclosure-control.md explains every field.
 */
export const disclosurePolicySchema = z
  .object({
    /** A name for the policy, shown in the suppression legend and the marts manifest. */
    name: z.string().min(1).max(80),
    /** The smallest count shown: counts from 1 to `minCell − 1` are shown as `*`; 0 is shown as 0. */
    minCell: z.number().int().min(1).max(1_000),
    /** Shown counts are rounded to the nearest multiple of this, halves up (1 = not rounded). */
    roundTo: z.number().int().min(1).max(1_000),
    /** Rows at the declared national level are shown exact (no suppression, no rounding). */
    nationalExempt: z.boolean(),
    /**
     * Secondary suppression: in every line of a table (a row with its total column, a column with
     * its total row) that would hold exactly one suppressed cell, a second cell is suppressed, so
     * no suppressed cell is recovered by subtracting the others from the total. Not in §9.1 (before
     * 2018 NHS Digital did it by hand); on by default here.
     */
    secondarySuppression: z.boolean(),
    /** Percentages: computed from the rounded numerator and denominator, shown to these places… */
    percentDecimals: z.number().int().min(0).max(3),
    /** …only when the rounded denominator is at least this; otherwise as a whole number. */
    percentDecimalsMinDenominator: z.number().int().min(0),
  })
  .strict()
  // With half-up rounding, a shown count below roundTo / 2 would be published as 0, which reads as
  // "none": the smallest shown count must round to a non-zero value.
  .refine((p) => p.minCell * 2 >= p.roundTo, {
    message: 'minCell must be at least roundTo / 2, or the smallest shown count would be published as 0',
    path: ['minCell'],
  });

/** A validated disclosure control policy (plain, frozen). */
export type DisclosurePolicy = Readonly<z.output<typeof disclosurePolicySchema>>;

/**
 * NHS Digital's HES / ECDS rule (REFERENCE.md §9.1): 0 shown, 1–7 as `*`, 8 or more to the nearest
 * 5, national figures exempt, percentages from the rounded parts with one decimal place only when
 * the rounded denominator is at least 4,000; plus secondary suppression (this project's choice).
 */
export const HES_ECDS_2018_POLICY: DisclosurePolicy = Object.freeze({
  name: 'hes-ecds-2018',
  minCell: 8,
  roundTo: 5,
  nationalExempt: true,
  secondarySuppression: true,
  percentDecimals: 1,
  percentDecimalsMinDenominator: 4_000,
});

/** The policy applied when a project declares none. */
export const DEFAULT_DISCLOSURE_POLICY: DisclosurePolicy = HES_ECDS_2018_POLICY;

/**
 * Validates a policy read from a project's configuration. Every problem is listed in one
 * `ConfigError` (`CONFIG_INVALID`), each prefixed with `where`; the result is frozen.
 */
export function parseDisclosurePolicy(input: unknown, where = 'disclosurePolicy'): DisclosurePolicy {
  const parsed = disclosurePolicySchema.safeParse(input);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`),
    );
  return Object.freeze(parsed.data);
}
