import { nhsName, type NhsFieldName } from '../declaration.js';

/** An MHSDS field name in its table (REFERENCE.md §5.2, V: MHSDS publication notebooks and NHSE SQL). */
export const mhsdsName = (table: string, name: string): NhsFieldName => nhsName(name, `MHSDS ${table}`);

/** The provider organisation, carried by every MHSDS table. */
export const ORG_ID_PROV = mhsdsName('MHS001MPI', 'OrgIDProv');
/** The service request (referral) identifier. */
export const UNIQ_SERV_REQ_ID = mhsdsName('MHS101', 'UniqServReqID');
/** The hospital provider spell identifier (renamed from `UniqHospProvSpellNum`). */
export const UNIQ_HOSP_PROV_SPELL_ID = mhsdsName('MHS501', 'UniqHospProvSpellID');
