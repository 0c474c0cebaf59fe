/**
 * Partner names are unique as users mean them: case-, whitespace- and Unicode-form-insensitively. The rule
 * (partner-name.ts) first, then createPartner through the graph, one create at a time and racing.
 */
import { CreatePartnerDocument } from '@care-graph/operations';
import { DATABASE_KINDS, type Graph, startGraph } from '../../../scripts/in-process-graph';
import { partnerDisplayName, partnerNameKey } from '../src/partner-name';

describe('the partner name rule', () => {
  it.each([
    ['case', 'Front Range Health Plan', 'front range health plan'],
    ['outer whitespace', 'Front Range Health Plan', '  Front Range Health Plan\t'],
    ['inner whitespace', 'Front Range Health Plan', 'Front  Range\tHealth\n Plan'],
    ['non-breaking and ideographic spaces', 'Front Range Health Plan', 'Front\u00a0Range\u3000Health Plan'],
    ['Unicode case', 'ÄRZTE Nord', 'ärzte nord'],
    ['Greek case and final sigma', 'ΟΔΟΣ ΥΓΕΙΑΣ', 'οδος υγειας'],
    ['full case mapping (ß)', 'STRASSE Klinik', 'straße klinik'],
    ['composed and decomposed accents', 'Clinique Sant\u00e9', 'CLINIQUE SANTE\u0301'],
    ['full-width letters', 'ＡＣＯ West', 'aco west'],
    ['ligatures', 'Unified Care', 'Uni\ufb01ed Care'],
  ])('treats names differing only in %s as one', (_, a, b) => {
    expect(partnerNameKey(a)).toBe(partnerNameKey(b));
  });

  it.each([
    ['an accent', 'Ärzte Nord', 'Arzte Nord'],
    ['a word', 'Front Range Health', 'Front Range Health Plan'],
    ['a space between letters', 'Front Range', 'FrontRange'],
    ['punctuation', 'St. John Care', 'St John Care'],
  ])('keeps names apart that differ by %s', (_, a, b) => {
    expect(partnerNameKey(a)).not.toBe(partnerNameKey(b));
  });

  it('keeps the spelling for display, trimmed with single spaces', () => {
    expect(partnerDisplayName('  ÄRZTE   Nord\t')).toBe('ÄRZTE Nord');
  });

  it('is idempotent', () => {
    for (const name of ['Front Range Health Plan', 'STRASSE Klinik', 'Uni\ufb01ed  Care', 'ΟΔΟΣ']) {
      expect(partnerNameKey(partnerNameKey(name))).toBe(partnerNameKey(name));
    }
  });
});

describe.each(DATABASE_KINDS)('createPartner names on %s', (kind) => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph(kind);
  });
  afterAll(() => graph?.close());

  const partnerCount = () => graph.subgraphs.partners.database.client.partner.count();
  const create = async (name: string) => {
    const { body } = await graph.post(await graph.as('admin'), 'mutation($n: String!) { createPartner(input: { name: $n }) { id name } }', {
      n: name,
    });
    return {
      name: (body.data as { createPartner: { name: string } | null } | null)?.createPartner?.name,
      errors: (body.errors ?? []).map((e) => ({ code: e.extensions?.code, field: e.extensions?.field, message: e.message })),
    };
  };
  const conflictNaming = (existing: string) => ({
    name: undefined,
    errors: [
      {
        code: 'CONFLICT',
        field: 'input.name',
        message: `A partner named "${existing}" already exists (names are compared ignoring case and spacing); choose another name or use the existing partner.`,
      },
    ],
  });

  it.each([
    ['case', 'Summit Health Plan', 'summit health plan'],
    ['outer whitespace', 'Summit Care Plan', '  Summit Care Plan  '],
    ['inner whitespace and case', 'Summit Medicare Plan', 'SUMMIT\t MEDICARE   PLAN'],
    ['Unicode case', 'ÄRZTE Nord', 'ärzte nord'],
    ['Unicode form', 'Clinique Santé', 'clinique sante\u0301'],
  ])('refuses a name equal but for %s as CONFLICT naming the existing partner, adding nothing', async (_, first, again) => {
    expect(await create(first)).toEqual({ name: first.trim(), errors: [] });
    const before = await partnerCount();
    expect(await create(again)).toEqual(conflictNaming(first.trim()));
    expect(await partnerCount()).toBe(before);
  });

  it('keeps the first spelling as the display name', async () => {
    expect(await create('  Peak   Wellness ACO ')).toEqual({ name: 'Peak Wellness ACO', errors: [] });
    const { createPartner } = await graph.run('admin', CreatePartnerDocument, { input: { name: 'Peak Wellness Partners' } });
    expect(createPartner.name).toBe('Peak Wellness Partners');
  });

  it('lets exactly one of concurrent creates of one name win; the others are CONFLICT', async () => {
    const variants = [
      'Canyon Care Alliance',
      'canyon care alliance',
      'CANYON CARE ALLIANCE',
      ' Canyon  Care Alliance',
      'Canyon care Alliance',
      'cAnYoN cArE aLlIaNcE',
    ];
    const before = await partnerCount();
    const outcomes = await Promise.all(variants.map((name) => create(name)));
    const winners = outcomes.filter((o) => o.name !== undefined);
    expect(winners).toHaveLength(1);
    const winner = partnerDisplayName(variants[outcomes.indexOf(winners[0])]);
    expect(winners[0].name).toBe(winner);
    for (const loser of outcomes.filter((o) => o.name === undefined)) expect(loser).toEqual(conflictNaming(winner));
    expect(await partnerCount()).toBe(before + 1);
    // Still answering, and still refusing afterwards.
    expect(await create('canyon care alliance')).toEqual(conflictNaming(winner));
  });
});
