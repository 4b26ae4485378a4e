import type { ReferenceData } from '../domain/reference/reference-data.js';
import { financialYearOf } from '../domain/reference/reference-data.js';
import { dayOf, isoDate } from './synthetic-calendar.js';
import type {
  CatalogueArea,
  CatalogueBnfPresentation,
  CatalogueMerger,
  CatalogueProvider,
  SyntheticCatalogue,
} from './synthetic-catalogue.js';

/**
 * Ethnic category mix per area: plausible synthetic weights (Birmingham and Solihull is among the
 * most diverse ICBs in England, Norfolk and Waveney among the least), not census figures.
 */
const ETHNICITY_WEIGHTS: Readonly<Record<'bsol' | 'nw', Readonly<Record<string, number>>>> = {
  bsol: {
    A: 50,
    B: 2,
    C: 3,
    D: 2,
    E: 0.5,
    F: 1,
    G: 1,
    H: 4,
    J: 12,
    K: 3,
    L: 2,
    M: 4,
    N: 3,
    P: 1,
    R: 1,
    S: 2,
    Z: 4,
    99: 2,
  },
  nw: {
    A: 86,
    B: 0.6,
    C: 4.5,
    D: 0.4,
    E: 0.2,
    F: 0.4,
    G: 0.4,
    H: 0.6,
    J: 0.1,
    K: 0.1,
    L: 0.5,
    M: 0.2,
    N: 0.6,
    P: 0.1,
    R: 0.4,
    S: 0.6,
    Z: 3.5,
    99: 1,
  },
};

/** Relative population of the two ICBs (about 1.7M and 1.1M registered patients). */
const AREA_SHARES = { bsol: 1.7, nw: 1.1 } as const;

const AREAS = [
  { id: 'bsol', icb: 'QHL' },
  { id: 'nw', icb: 'QMM' },
] as const;

/** Chemical-code prefixes of items started after an emergency discharge, of repeat items, and of antidepressants. */
const AFTER_DISCHARGE_PREFIXES = [
  '0212',
  '0209',
  '0206',
  '0205',
  '0204',
  '0202',
  '0103',
  '0501',
  '0407',
  '0301',
];
const REPEAT_PREFIXES = ['0212', '0206', '0205', '0601', '0602', '0103', '0202'];
const MENTAL_HEALTH_PREFIXES = ['0403'];

/**
 * Builds the generator's catalogue from the versioned reference data: the two ICBs with their
 * sub-ICB commissioner code, GP practices, postcodes (LSOA and IMD decile), acute, mental health
 * and community trusts with their sites; HRG tariffs by financial year; BNF presentations with
 * their placeholder unit NIC; the ECDS, MHSDS and CSDS code lists. Throws a RangeError naming what
 * is missing when the reference data cannot support generation.
 */
export function catalogueFromReference(reference: ReferenceData): SyntheticCatalogue {
  // Providers are the trusts open today: a closed trust (a merger's predecessor) only appears through
  // a planted merger, before its succession date.
  const allTrusts = reference.organisations('trust');
  const trusts = allTrusts.filter((t) => t.effectiveTo === null);
  const sites = reference.organisations('site');
  const sitesOf = (trust: string): string[] => sites.filter((s) => s.parentCode === trust).map((s) => s.code);
  const provider = (code: string): CatalogueProvider => ({ code, sites: sitesOf(code) });
  const ethnicCodes = new Set(reference.codeList('ethnic_category').map((e) => e.code));

  const areas: CatalogueArea[] = AREAS.map(({ id, icb }) => {
    const inIcb = trusts.filter((t) => t.icbCode === icb);
    const acute = inIcb.filter((t) => t.orgType === 'acute trust').map((t) => provider(t.code));
    const mental = inIcb.find((t) => t.orgType === 'mental health trust');
    const community = inIcb.find((t) => t.orgType === 'community trust');
    const subIcb = reference.organisations('sub_icb').find((o) => o.icbCode === icb);
    const practices = reference.practicesInIcb(icb).map((p) => p.code);
    const postcodes = reference.postcodes(id).flatMap((p) => {
      const decile = reference.imdDecile(p.lsoa);
      return decile === undefined ? [] : [{ postcode: p.postcode, lsoa: p.lsoa, imdDecile: decile }];
    });
    const missing = [
      acute.length === 0 ? 'acute trusts' : '',
      mental ? '' : 'a mental health trust',
      community ? '' : 'a community trust',
      subIcb ? '' : 'a sub-ICB location',
      practices.length === 0 ? 'GP practices' : '',
      postcodes.length === 0 ? 'postcodes with an IMD decile' : '',
    ].filter(Boolean);
    if (missing.length > 0 || !mental || !community || !subIcb)
      throw new RangeError(`reference data has no ${missing.join(', ')} for ICB ${icb}`);
    return {
      icb,
      commissionerCode: `${subIcb.code}00`,
      share: AREA_SHARES[id],
      practices,
      postcodes,
      acuteProviders: acute,
      mentalHealthProvider: mental.code,
      communityProvider: community.code,
      ethnicity: Object.entries(ETHNICITY_WEIGHTS[id])
        .filter(([code]) => ethnicCodes.has(code))
        .map(([code, weight]) => ({ code, weight })),
    };
  });

  const presentations: CatalogueBnfPresentation[] = reference.bnfPresentations().map((p) => ({
    code: p.code,
    description: p.description,
    unitNicPence: Number(p.unitNicGbp) * 100,
    packQuantity: p.typicalQuantity,
  }));
  const withPrefix = (prefixes: readonly string[]): CatalogueBnfPresentation[] => {
    const list = presentations.filter((p) => prefixes.some((x) => p.code.startsWith(x)));
    if (list.length === 0)
      throw new RangeError(`reference data has no BNF presentations under ${prefixes.join(', ')}`);
    return list;
  };

  const codes = (list: Parameters<ReferenceData['codeList']>[0], group?: (g: string) => boolean): string[] =>
    reference
      .codeList(list)
      .filter((e) => (group ? group(e.group) : true))
      .map((e) => e.code);
  const required = (list: Parameters<ReferenceData['codeList']>[0], code: string): string => {
    if (!reference.isValidCode(list, code))
      throw new RangeError(`reference code list ${list} lacks a code the generator uses`);
    return code;
  };
  const statusOther = codes('ecds_discharge_status').filter(
    (c) => c.startsWith('1077') || c.startsWith('1066'),
  );
  const clusters = codes('mh_care_cluster').filter((c) => c !== '9');

  const acuteCodes = new Set(areas.flatMap((a) => a.acuteProviders.map((p) => p.code)));
  const mergers: CatalogueMerger[] = allTrusts
    .filter((t) => t.successorCode !== null && t.successorDate !== null && acuteCodes.has(t.successorCode))
    .map((t) => ({ predecessor: t.code, successor: t.successorCode!, fromDay: dayOf(t.successorDate!) }));

  return {
    mergers,
    source: `reference data (${Object.keys(reference.manifest.files).length} files, versions ${[
      ...new Set(Object.values(reference.manifest.files).map((f) => f.version)),
    ].join(', ')})`,
    areas,
    tariffFor: (hrg, admissionType, day) =>
      reference.hrgTariff(hrg, financialYearOf(isoDate(day)), admissionType) ?? null,
    isKnownHrg: (hrg) => reference.isKnownHrg(hrg),
    hrgPrice: (hrg, day) => reference.hrg(hrg, financialYearOf(isoDate(day))),
    marketForcesFactor: (provider, day) =>
      reference.marketForcesFactor(provider, financialYearOf(isoDate(day)))?.factor ?? null,
    bnf: {
      afterDischarge: withPrefix(AFTER_DISCHARGE_PREFIXES),
      repeat: withPrefix(REPEAT_PREFIXES),
      mentalHealth: withPrefix(MENTAL_HEALTH_PREFIXES),
    },
    ecds: {
      arrivalModeAmbulance: codes('ecds_arrival_mode', (g) => g === 'ambulance').filter(
        (c) => c !== '1048081000000101',
      ),
      arrivalModeOther: codes('ecds_arrival_mode', (g) => g.startsWith('walk-in')),
      acuity: codes('ecds_acuity'),
      dischargeStatusCompleted: required('ecds_discharge_status', '182992009'),
      dischargeStatusOther: statusOther,
      destinationHome: required('ecds_discharge_destination', '306689006'),
      destinationAdmitted: required('ecds_discharge_destination', '306706006'),
      destinationOther: ['306691003', '306694006', '1066341000000100', '19712007'].filter((c) =>
        reference.isValidCode('ecds_discharge_destination', c),
      ),
      followUpGp: '989501000000106',
    },
    mhsds: {
      sourceOfReferralAfterAdmission: ['H2', 'H1', 'A1'].filter((c) =>
        reference.isValidCode('mhsds_source_of_referral', c),
      ),
      sourceOfReferralOther: ['A1', 'A1', 'A1', 'B1', 'B2', 'C1', 'E1', 'H1'].filter((c) =>
        reference.isValidCode('mhsds_source_of_referral', c),
      ),
      teamTypes: ['A02', 'A05', 'A06', 'A07', 'A11', 'A14', 'A17', 'A18'].filter((c) =>
        reference.isValidCode('mhsds_service_team_type', c),
      ),
      consultationMedia: codes('mhsds_consultation_medium').filter((c) => ['01', '02', '11'].includes(c)),
      careClusters: clusters,
    },
    csds: {
      activityLocationTypes: codes('activity_location_type').filter((c) =>
        ['A01', 'B01', 'C01', 'E01', 'G01'].includes(c),
      ),
      careActivityTypes: codes('csds_care_activity_type').filter((c) => Number(c) <= 7),
      teamTypes: codes('csds_team_type'),
      priorityTypes: codes('csds_priority_type'),
    },
    imaging: reference.imagingCodes().map((i) => ({
      nicip: i.nicip,
      snomed: i.snomedCode,
      modality: i.modality,
      weight:
        i.modality === 'X'
          ? 6
          : i.modality === 'U'
            ? 3
            : i.modality === 'C'
              ? 3
              : i.modality === 'M'
                ? 2
                : 0.5,
    })),
    attendOrDna: {
      attended: codes('attend_or_dna').filter((c) => c === '5' || c === '6'),
      notAttended: codes('attend_or_dna').filter((c) => c === '2' || c === '3' || c === '4' || c === '7'),
    },
  };
}
