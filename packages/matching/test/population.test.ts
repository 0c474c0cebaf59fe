/**
 * The realistic population of the matching benchmark: seeded, names as skewed as the model says, and the
 * traps (namesakes, twins of members) built as described.
 */
import { describePopulation, generatePopulation, type PersonInput, POPULATION_MODEL } from '../src';

const population = generatePopulation({ rosterSize: 20_000, patients: 10_000, seed: 5 });
const { roster, patients } = population;
const byId = new Map(roster.map((m) => [m.id, m]));

const countsOf = (values: string[]) => {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.values()].sort((a, b) => b - a);
};
const digitsApart = (a: string, b: string) => [...a].filter((c, i) => c !== b[i]).length;
const home = (p: PersonInput) => `${p.addressLine1}|${p.postalCode}`;

describe('the realistic population', () => {
  it('is the same for a seed and differs for another', () => {
    const again = generatePopulation({ rosterSize: 2_000, patients: 500, seed: 5 });
    expect(generatePopulation({ rosterSize: 2_000, patients: 500, seed: 5 })).toEqual(again);
    expect(generatePopulation({ rosterSize: 2_000, patients: 500, seed: 6 }).roster[0]).not.toEqual(again.roster[0]);
  });

  it('has the sizes asked for, unique ids, SSNs and member ids', () => {
    expect(roster).toHaveLength(20_000);
    expect(patients).toHaveLength(10_000);
    expect(new Set(roster.map((m) => m.id)).size).toBe(roster.length);
    const ssns = roster.flatMap((m) => (m.ssn ? [m.ssn] : []));
    expect(new Set(ssns).size).toBe(ssns.length);
    expect(ssns.length / roster.length).toBeGreaterThan(0.9);
    expect(new Set(roster.map((m) => m.memberId)).size).toBe(roster.length);
    for (const m of roster) expect(Number.isNaN(Date.parse(`${m.dateOfBirth}T00:00:00Z`))).toBe(false);
  });

  it('draws family names with a heavy head and a long tail, Smith among the first', () => {
    const families = countsOf(roster.map((m) => m.familyName));
    const smiths = roster.filter((m) => m.familyName === 'Smith').length;
    expect(smiths).toBeGreaterThanOrEqual(families[2]);
    expect(smiths / roster.length).toBeGreaterThan(0.005);
    expect(smiths / roster.length).toBeLessThan(0.02);
    const top10 = families.slice(0, 10).reduce((a, b) => a + b, 0) / roster.length;
    expect(top10).toBeGreaterThan(0.04);
    expect(top10).toBeLessThan(0.12);
    // The tail: many names held by one member only.
    expect(families.filter((c) => c === 1).length).toBeGreaterThan(1_000);
  });

  it('gives a decade its own most common given names', () => {
    const topOf = (decade: string) => {
      const counts = new Map<string, number>();
      for (const m of roster)
        if (m.sex === 'F' && m.dateOfBirth.startsWith(decade)) counts.set(m.givenName, (counts.get(m.givenName) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    };
    expect(topOf('195')).not.toBe(topOf('199'));
  });

  it('keeps households at one address, some with twins', () => {
    const members = countsOf(roster.map(home));
    expect(roster.length / members.length).toBeGreaterThan(1.8);
    const twins = countsOf(roster.map((m) => `${m.familyName}|${m.dateOfBirth}|${home(m)}`)).filter((c) => c > 1).length;
    expect(twins / roster.length).toBeGreaterThan(POPULATION_MODEL.twinRate / 2);
  });

  it('mixes members, outsiders, namesakes and twins of members in the shares of the model', () => {
    const share = (kind: string) => patients.filter((p) => p.kind === kind).length / patients.length;
    expect(share('on-roster')).toBeCloseTo(POPULATION_MODEL.patients.onRoster, 1);
    expect(share('not-on-roster')).toBeCloseTo(POPULATION_MODEL.patients.notOnRoster, 1);
    expect(share('namesake')).toBeCloseTo(POPULATION_MODEL.patients.namesake, 1);
    expect(share('twin-of-member')).toBeCloseTo(POPULATION_MODEL.patients.twinOfMember, 1);
    for (const p of patients) {
      if (p.kind === 'on-roster') expect(byId.has(p.truth!)).toBe(true);
      else expect(p.truth).toBeNull();
    }
  });

  it('makes namesakes: same names and sex as a member, a birth date one digit off, no SSN or member id', () => {
    const namesakes = patients.filter((p) => p.kind === 'namesake');
    expect(namesakes.length).toBeGreaterThan(300);
    const names = new Map<string, string[]>();
    for (const m of roster)
      names.set(`${m.givenName}|${m.familyName}|${m.sex}`, [
        ...(names.get(`${m.givenName}|${m.familyName}|${m.sex}`) ?? []),
        m.dateOfBirth,
      ]);
    for (const p of namesakes) {
      expect(p.ssn).toBeNull();
      expect(p.memberId).toBeNull();
      const dates = names.get(`${p.givenName}|${p.familyName}|${p.sex}`)!;
      expect(dates.some((d) => digitsApart(d, p.dateOfBirth) === 1)).toBe(true);
    }
  });

  it("makes twins of members: the member's birth date, and their own given name", () => {
    const twins = patients.filter((p) => p.kind === 'twin-of-member');
    expect(twins.length).toBeGreaterThan(300);
    const byBirth = new Map<string, PersonInput[]>();
    for (const m of roster) byBirth.set(m.dateOfBirth, [...(byBirth.get(m.dateOfBirth) ?? []), m]);
    const clean = twins.filter((t) => t.noise.length === 0);
    expect(clean.length).toBeGreaterThan(100);
    let alike = 0;
    for (const p of clean) {
      const siblings = byBirth.get(p.dateOfBirth)!.filter((m) => home(m) === home(p) && m.familyName === p.familyName);
      expect(siblings.length).toBeGreaterThan(0);
      expect(siblings.some((m) => m.givenName !== p.givenName)).toBe(true);
      expect(p.memberId).toBeNull();
      if (siblings.some((m) => m.givenName !== p.givenName && m.givenName[0] === p.givenName[0])) alike += 1;
    }
    // About a third with a given name that starts like the member's: the near-miss trap.
    expect(alike / clean.length).toBeGreaterThan(0.2);
  });

  it('describes itself: name shares, households, twins and the patients by kind', () => {
    const text = describePopulation(population);
    expect(text).toContain('roster 20,000');
    expect(text).toMatch(/Smith \d\.\d\d %/);
    expect(text).toContain('namesake');
    expect(text).toContain('twins on the roster');
  });
});
