import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceRow } from '../../../shared/domain/datasets/source-tables.js';
import {
  ageOnAdmission,
  lengthOfStayDays,
} from '../../../shared/domain/datasets/sus-apc/spell-derivations.js';
import { spellTariff } from '../../../shared/domain/datasets/sus-apc/spell-tariff.js';
import { financialYearOf } from '../../../shared/domain/reference/reference-data.js';
import { generated, reference } from './synthetic-fixture.js';

// A clean population: the invariants hold on every spell and episode the generator emits.
const { rows } = generated({ patients: 1500, seed: 11, defects: { classes: [] } });
const spellKey = (r: SourceRow) => `${String(r.provider_code)}|${String(r.hospital_provider_spell_number)}`;

function episodesBySpell(): Map<string, SourceRow[]> {
  const out = new Map<string, SourceRow[]>();
  for (const e of rows.sus_apc_episode) out.set(spellKey(e), [...(out.get(spellKey(e)) ?? []), e]);
  for (const list of out.values()) list.sort((a, b) => Number(a.episode_number) - Number(b.episode_number));
  return out;
}

test('every episode belongs to exactly one spell that exists, and every spell has episodes numbered 1..n', () => {
  const spells = new Map<string, SourceRow[]>();
  for (const s of rows.sus_apc_spell) spells.set(spellKey(s), [...(spells.get(spellKey(s)) ?? []), s]);
  assert.ok(rows.sus_apc_spell.length > 200, `${rows.sus_apc_spell.length} spells`);
  for (const [key, list] of spells) assert.equal(list.length, 1, `spell ${key} once`);
  const byspell = episodesBySpell();
  for (const e of rows.sus_apc_episode)
    assert.ok(spells.has(spellKey(e)), `episode ${String(e.episode_id)} has its spell`);
  let multi = 0;
  for (const s of rows.sus_apc_spell) {
    const episodes = byspell.get(spellKey(s)) ?? [];
    assert.deepEqual(
      episodes.map((e) => e.episode_number),
      episodes.map((_, i) => i + 1),
      `spell ${spellKey(s)} episodes 1..n`,
    );
    if (episodes.length > 1) multi++;
  }
  assert.ok(multi > 20, `${multi} multi-episode spells`);
});

test('episodes nest inside their spell, contiguously, and only the last carries the discharge fields (earlier ones 8 / 98)', () => {
  const byspell = episodesBySpell();
  for (const s of rows.sus_apc_spell) {
    const episodes = byspell.get(spellKey(s)) ?? [];
    const last = episodes[episodes.length - 1]!;
    assert.equal(episodes[0]!.episode_start_date, s.admission_date);
    assert.equal(last.episode_end_date, s.discharge_date);
    for (const e of episodes) {
      assert.equal(e.admission_date, s.admission_date);
      assert.equal(e.admission_method, s.admission_method);
      assert.ok(String(e.episode_start_date) >= String(s.admission_date));
      if (s.discharge_date !== null && e.episode_end_date !== null)
        assert.ok(String(e.episode_end_date) <= String(s.discharge_date));
      assert.equal(e.episode_status, e.episode_end_date === null ? null : '3');
    }
    for (let i = 1; i < episodes.length; i++)
      assert.equal(episodes[i]!.episode_start_date, episodes[i - 1]!.episode_end_date, 'contiguous');
    for (const e of episodes.slice(0, -1)) {
      assert.equal(e.discharge_date, null);
      assert.equal(e.discharge_method, '8');
      assert.equal(e.discharge_destination, '98');
    }
    assert.equal(last.discharge_date, s.discharge_date);
    assert.equal(last.discharge_method, s.discharge_method);
    assert.equal(last.discharge_destination, s.discharge_destination);
  }
});

test("each spell carries its price once, computed from the reference for its length of stay, HRG and provider's MFF", () => {
  let longStay = 0;
  let shortStay = 0;
  for (const s of rows.sus_apc_spell) {
    assert.equal(
      s.length_of_stay_days,
      lengthOfStayDays(s.admission_date as string, s.discharge_date as string | null),
    );
    assert.equal(s.age_on_admission, ageOnAdmission(s.date_of_birth as string, s.admission_date as string));
    if (s.discharge_date === null) {
      assert.equal(s.tariff_gbp, null, 'an open spell is not priced yet');
      continue;
    }
    const fy = financialYearOf(String(s.discharge_date));
    const computed = spellTariff({
      admissionMethod: String(s.admission_method),
      lengthOfStayDays: Number(s.length_of_stay_days),
      price: reference.hrg(String(s.spell_hrg), fy)!,
      marketForcesFactor: reference.marketForcesFactor(String(s.provider_code), fy)?.factor ?? null,
    });
    assert.equal(s.tariff_gbp, computed?.tariffGbp, `spell ${String(s.spell_id)}`);
    if (computed!.excessBedDays > 0) longStay++;
    if (computed!.shortStayEmergency) shortStay++;
  }
  assert.ok(longStay > 0 && shortStay > 0, `long stays ${longStay}, short stay emergencies ${shortStay}`);
  // No episode carries a price, so summing episodes cannot count a spell twice.
  for (const e of rows.sus_apc_episode) assert.ok(!('tariff_gbp' in e) && !('spell_hrg' in e));
});
