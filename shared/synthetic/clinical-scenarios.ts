/**
 * The generator's own clinical modelling: which diagnosis, procedure, treatment function and HRG
 * go together in a spell, what brings people to A&E and what imaging follows. These are plausible
 * synthetic combinations, not grouper output. ICD-10 and OPCS-4 codes are in SUS storage form
 * (4 characters, no dot); SNOMED CT concept ids pass the Verhoeff check. HRG codes must exist in the
 * reference HRG tariff list (scenarios whose HRG is not priced there are dropped).
 */

export interface SpellScenario {
  readonly label: string;
  readonly hrg: string;
  readonly treatmentFunction: string;
  readonly mainSpecialty: string;
  readonly diagnoses: readonly string[];
  readonly procedure?: string;
  /** Relative frequency among scenarios of its kind. */
  readonly weight: number;
  /** Minimum age in years for the scenario (0 = any). */
  readonly minAge: number;
  /** Mean length of stay in days (0 = day case). */
  readonly meanStayDays: number;
}

/** Emergency (non-elective) spells. */
export const EMERGENCY_SCENARIOS: readonly SpellScenario[] = [
  {
    label: 'stroke',
    hrg: 'AA22G',
    treatmentFunction: '300',
    mainSpecialty: '300',
    diagnoses: ['I639', 'I638'],
    weight: 4,
    minAge: 40,
    meanStayDays: 9,
  },
  {
    label: 'heart failure',
    hrg: 'EB03E',
    treatmentFunction: '320',
    mainSpecialty: '320',
    diagnoses: ['I500', 'I509'],
    weight: 6,
    minAge: 45,
    meanStayDays: 7,
  },
  {
    label: 'myocardial infarction',
    hrg: 'EB10E',
    treatmentFunction: '320',
    mainSpecialty: '320',
    diagnoses: ['I219', 'I214'],
    weight: 5,
    minAge: 35,
    meanStayDays: 4,
  },
  {
    label: 'arrhythmia',
    hrg: 'EB07E',
    treatmentFunction: '320',
    mainSpecialty: '320',
    diagnoses: ['I489', 'I471'],
    weight: 5,
    minAge: 30,
    meanStayDays: 2,
  },
  {
    label: 'pneumonia',
    hrg: 'DZ11V',
    treatmentFunction: '340',
    mainSpecialty: '340',
    diagnoses: ['J189', 'J181'],
    weight: 9,
    minAge: 0,
    meanStayDays: 6,
  },
  {
    label: 'COPD exacerbation',
    hrg: 'DZ65K',
    treatmentFunction: '340',
    mainSpecialty: '340',
    diagnoses: ['J441', 'J440'],
    weight: 7,
    minAge: 40,
    meanStayDays: 5,
  },
  {
    label: 'lower respiratory infection',
    hrg: 'DZ22Q',
    treatmentFunction: '300',
    mainSpecialty: '300',
    diagnoses: ['J22X', 'J209'],
    weight: 8,
    minAge: 0,
    meanStayDays: 3,
  },
  {
    label: 'urinary tract infection',
    hrg: 'LA04S',
    treatmentFunction: '300',
    mainSpecialty: '300',
    diagnoses: ['N390', 'N10X'],
    weight: 8,
    minAge: 0,
    meanStayDays: 4,
  },
  {
    label: 'sepsis',
    hrg: 'WJ06J',
    treatmentFunction: '300',
    mainSpecialty: '300',
    diagnoses: ['A419', 'A418'],
    weight: 4,
    minAge: 0,
    meanStayDays: 8,
  },
  {
    label: 'gastrointestinal disorder',
    hrg: 'FD10M',
    treatmentFunction: '301',
    mainSpecialty: '301',
    diagnoses: ['K590', 'K529', 'R104'],
    weight: 9,
    minAge: 0,
    meanStayDays: 2,
  },
  {
    label: 'fractured neck of femur',
    hrg: 'HT12E',
    treatmentFunction: '110',
    mainSpecialty: '110',
    diagnoses: ['S720', 'S721'],
    procedure: 'W461',
    weight: 3,
    minAge: 60,
    meanStayDays: 12,
  },
  {
    label: 'epilepsy or head injury',
    hrg: 'AA26F',
    treatmentFunction: '400',
    mainSpecialty: '400',
    diagnoses: ['G409', 'S060'],
    weight: 4,
    minAge: 0,
    meanStayDays: 2,
  },
];

/** Emergency spells of high-cost patients (frequent, long, complex). */
export const HIGH_COST_SCENARIOS: readonly SpellScenario[] = [
  {
    label: 'stroke with complications',
    hrg: 'AA22C',
    treatmentFunction: '300',
    mainSpecialty: '300',
    diagnoses: ['I639', 'I614'],
    weight: 3,
    minAge: 40,
    meanStayDays: 18,
  },
  {
    label: 'heart failure',
    hrg: 'EB03E',
    treatmentFunction: '320',
    mainSpecialty: '320',
    diagnoses: ['I500'],
    weight: 4,
    minAge: 45,
    meanStayDays: 10,
  },
  {
    label: 'COPD exacerbation',
    hrg: 'DZ65K',
    treatmentFunction: '340',
    mainSpecialty: '340',
    diagnoses: ['J441'],
    weight: 4,
    minAge: 40,
    meanStayDays: 8,
  },
  {
    label: 'sepsis',
    hrg: 'WJ06J',
    treatmentFunction: '300',
    mainSpecialty: '300',
    diagnoses: ['A419'],
    weight: 3,
    minAge: 0,
    meanStayDays: 12,
  },
];

/** Elective and day-case spells. */
export const ELECTIVE_SCENARIOS: readonly SpellScenario[] = [
  {
    label: 'hip replacement',
    hrg: 'HN12F',
    treatmentFunction: '110',
    mainSpecialty: '110',
    diagnoses: ['M161', 'M169'],
    procedure: 'W371',
    weight: 4,
    minAge: 45,
    meanStayDays: 3,
  },
  {
    label: 'knee replacement',
    hrg: 'HN22F',
    treatmentFunction: '110',
    mainSpecialty: '110',
    diagnoses: ['M171', 'M179'],
    procedure: 'W401',
    weight: 4,
    minAge: 45,
    meanStayDays: 3,
  },
  {
    label: 'cataract',
    hrg: 'BZ34C',
    treatmentFunction: '130',
    mainSpecialty: '130',
    diagnoses: ['H259', 'H251'],
    procedure: 'C751',
    weight: 10,
    minAge: 50,
    meanStayDays: 0,
  },
  {
    label: 'colonoscopy',
    hrg: 'FE21Z',
    treatmentFunction: '301',
    mainSpecialty: '301',
    diagnoses: ['K573', 'K625', 'Z121'],
    procedure: 'H229',
    weight: 9,
    minAge: 19,
    meanStayDays: 0,
  },
  {
    label: 'chemotherapy',
    hrg: 'SB97Z',
    treatmentFunction: '370',
    mainSpecialty: '370',
    diagnoses: ['C509', 'C189', 'C349'],
    procedure: 'X723',
    weight: 5,
    minAge: 25,
    meanStayDays: 0,
  },
];

/** Secondary diagnoses (comorbidities), ICD-10 storage form; later-coded ones are added by change simulation. */
export const COMORBIDITIES: readonly string[] = [
  'E119',
  'I10X',
  'J449',
  'N183',
  'F039',
  'E669',
  'I251',
  'F329',
  'E039',
  'Z921',
  'I480',
  'M819',
];

/** Later-episode treatment functions (transfers to general or elderly medicine, rehabilitation). */
export const LATER_EPISODE_TREATMENT_FUNCTIONS: readonly string[] = ['300', '430', '314'];

/** ECDS chief complaints (SNOMED CT clinical findings; unverified as members of the ETOS refset). */
export const ECDS_CHIEF_COMPLAINTS: readonly string[] = [
  '29857009', // chest pain
  '267036007', // dyspnoea
  '21522001', // abdominal pain
  '25064002', // headache
  '1912002', // fall
  '386661006', // fever
  '80313002', // palpitations
  '422400008', // vomiting
  '271807003', // rash
  '57676002', // joint pain
];

/** ECDS diagnoses (SNOMED CT disorders; unverified as members of the ECDS diagnosis refset). */
export const ECDS_DIAGNOSES: readonly string[] = [
  '22298006', // myocardial infarction
  '233604007', // pneumonia
  '125605004', // fracture of bone
  '68566005', // urinary tract infection
  '195967001', // asthma
  '49436004', // atrial fibrillation
  '62315008', // diarrhoea
  '36971009', // sinusitis
];

/** MHSDS primary reason for referral (2-character codes; list K, not in the reference data). */
export const MH_PRIMARY_REASONS: readonly string[] = ['01', '02', '04', '05', '08', '10', '11'];
/** CSDS source of referral (2-character codes in the MHSDS pattern; list K). */
export const CSDS_SOURCES_AFTER_AE: readonly string[] = ['H1'];
export const CSDS_SOURCES_OTHER: readonly string[] = ['A1', 'A1', 'A1', 'B1', 'H2', 'C1'];

/** Synthetic names (common in England; any match with a real person is chance). */
export const FORENAMES: readonly string[] = [
  'Oliver',
  'Amelia',
  'George',
  'Olivia',
  'Harry',
  'Isla',
  'Jack',
  'Ava',
  'Muhammad',
  'Emily',
  'Noah',
  'Sophia',
  'Aisha',
  'Leo',
  'Grace',
  'Arjun',
  'Mia',
  'Oscar',
  'Freya',
  'Yusuf',
  'Ruby',
  'Charlie',
  'Zara',
  'Thomas',
  'Priya',
  'James',
  'Evie',
  'Kwame',
  'Ellie',
  'Daniel',
];
export const SURNAMES: readonly string[] = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Khan',
  'Wright',
  'Robinson',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Hussain',
  'Green',
  'Hall',
  'Wood',
  'Ahmed',
  'Clarke',
  'Begum',
  'Mensah',
  'Hughes',
  'Edwards',
  'Singh',
  'Turner',
  'Baker',
  'Ali',
];
