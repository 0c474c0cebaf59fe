/**
 * A realistic population for the matching benchmark: names as common as they are in real populations, so
 * that agreement on a common name is weak evidence, as it is on real rosters.
 *
 * No data package with name frequencies is available offline (the package lists hold name lists without
 * counts), so frequencies follow a documented Zipf–Mandelbrot model, P(rank r) ∝ 1 / (r + q)^s:
 * - family names: s = 1, q = 10 over 200,000 ranks. The head is FAMILY_NAMES in order (Smith first), the
 *   tail generated from syllables. That gives Smith ~0.9 %, the top 10 ~7 % and the top 1,000 ~46 % of
 *   people — close to the US census of 2010 (0.83 %, 5.6 %, 42 %);
 * - given names: by sex and birth decade, s = 1.1, q = 2 over 4,000 ranks (the top name ~6 % of a sex and
 *   decade), GIVEN_NAMES as the head in an order that shifts 3 places a decade (the names of the 1950s are
 *   not those of the 2000s), generated names as the tail: over all ages the top 10 hold ~9 % of people;
 *   half the people have a middle name;
 * - ages 0–99, flat to 60 and thinning to 100; births a little more frequent in summer; 0.5 % of birth
 *   dates are the January 1 that records an unknown birthday;
 * - households of 1 to 5 at one address (mostly one surname; spouses of similar age, children 20–40 years
 *   younger); 1.2 % of people have a twin in the household (same surname, birth date and address);
 * - streets and ZIP codes Zipf too (s = 1, q = 5; a Main Street is common), house numbers uniform;
 * - 92 % of members have an SSN, every member a member id; both unique.
 *
 * Care-request patients: 65 % are members, with the noise of `withNoise` (shared with generateSynthetic);
 * 24 % are people not on the roster; 6 % are namesakes of a member: someone drawn from the population
 * whose given and family name (and sex) happen to be a member's — so mostly common names, as in life — with
 * a birth date one digit off the member's, no SSN, no member id (the false match that grows with the
 * roster); 5 % are
 * a twin of a member who is not on the roster (same surname, birth date and address, their own given name —
 * a third of the time one starting with the same letter — and the same feed noise). Deterministic for a seed.
 */
import { areNicknames } from './nicknames';
import type { PersonInput } from './normalize';
import { CITIES, FAMILY_NAMES, GIVEN_NAMES, type NoiseKind, seededRandom, withNoise } from './synthetic';

export type PopulationKind = 'on-roster' | 'not-on-roster' | 'namesake' | 'twin-of-member';

export interface PopulationPatient extends PersonInput {
  /** The roster member this patient is (null: not on the roster). */
  truth: string | null;
  kind: PopulationKind;
  noise: NoiseKind[];
}

export interface Population {
  roster: PersonInput[];
  patients: PopulationPatient[];
}

/** The model's parameters (see the header), printed by the benchmark. */
export const POPULATION_MODEL = {
  familyNames: { ranks: 200_000, s: 1, q: 10 },
  givenNames: { ranks: 4_000, s: 1.1, q: 2, shiftPerDecade: 3 },
  streets: { ranks: 2_000, s: 1, q: 5 },
  postalCodes: { ranks: 400, s: 1, q: 5 },
  householdSizes: [0.28, 0.34, 0.16, 0.13, 0.09],
  twinRate: 0.012,
  unknownBirthday: 0.005,
  patients: { onRoster: 0.65, notOnRoster: 0.24, namesake: 0.06, twinOfMember: 0.05 },
} as const;

/** Ranks 0..n-1 drawn with P(r) ∝ 1 / (r + 1 + q)^s, by binary search in the cumulative weights. */
class Zipf {
  private readonly cdf: Float64Array;
  constructor(n: number, s: number, q: number) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r += 1) {
      sum += 1 / (r + 1 + q) ** s;
      this.cdf[r] = sum;
    }
    for (let r = 0; r < n; r += 1) this.cdf[r] /= sum;
  }
  draw(rand: () => number): number {
    const x = rand();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

const ONSETS = ['b', 'br', 'c', 'ch', 'd', 'dr', 'f', 'g', 'gr', 'h', 'j', 'k', 'kr', 'l', 'm', 'n', 'p', 'pr', 'r', 's'];
const MORE_ONSETS = ['sh', 'st', 't', 'tr', 'v', 'w', 'z', 'bl', 'cl', 'fl'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'y', 'ei'];
const MIDDLES = ['l', 'r', 'n', 'm', 's', 't', 'nd', 'rt', 'll', 'ck', 'v', 'z', 'ng', 'rd', 'st', 'lm', 'rk', 'nt', 'dd', 'ss'];
const FAMILY_ENDINGS = [
  'er',
  'son',
  'man',
  'ley',
  'ton',
  'berg',
  'ski',
  'ez',
  'ova',
  'ell',
  'ard',
  'ini',
  'ako',
  'sen',
  'ford',
  'wood',
  'ham',
  'ing',
  'ow',
  'ane',
];
const GIVEN_ENDINGS = {
  F: ['a', 'ie', 'elle', 'ine', 'ette', 'ia', 'ey', 'lyn', 'anne', 'ora'],
  M: ['o', 'on', 'er', 'an', 'us', 'el', 'ick', 'en', 'ard', 'ias'],
} as const;
const STREET_KINDS = ['Street', 'Avenue', 'Road', 'Drive', 'Lane', 'Court', 'Way', 'Place', 'Boulevard', 'Circle'];
const STREET_HEAD = ['Main', 'Oak', 'Park', 'Pine', 'Maple', 'Cedar', 'Elm', 'Washington', 'Lake', 'Hill', 'Walnut', 'Spring'];
/** The first of a given name's parts, lower case, as matching compares them (Mary Ann: mary). */
const firstName = (name: string) => name.toLowerCase().split(/[ -]/)[0];
const capitalised = (s: string) => s[0].toUpperCase() + s.slice(1);

/**
 * `count` distinct made-up names, after `head` and never equal to one of it: syllables chosen by a
 * scrambled counter so that neighbouring ranks do not look alike.
 */
function namesTable(head: readonly string[], count: number, endings: readonly string[]): string[] {
  const onsets = [...ONSETS, ...MORE_ONSETS];
  const space = onsets.length * VOWELS.length * MIDDLES.length * VOWELS.length * endings.length;
  const seen = new Set(head.map((n) => n.toLowerCase()));
  const names = [...head];
  for (let i = 0; names.length < count; i += 1) {
    let k = (i * 7919 + 13) % space;
    const at = (list: readonly string[]) => {
      const part = list[k % list.length];
      k = Math.floor(k / list.length);
      return part;
    };
    const name = at(onsets) + at(VOWELS) + at(MIDDLES) + at(VOWELS) + at(endings);
    if (seen.has(name)) continue;
    seen.add(name);
    names.push(capitalised(name));
  }
  return names;
}

/** Unique values from a counter: an affine map that is a bijection of [0, size). */
const scrambled = (i: number, size: number, multiplier: number) => (i * multiplier + 12_345) % size;

export function generatePopulation(options: { rosterSize: number; patients: number; seed?: number }): Population {
  const rand = seededRandom(options.seed ?? 19);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const M = POPULATION_MODEL;

  const familyTable = namesTable(FAMILY_NAMES, M.familyNames.ranks, FAMILY_ENDINGS);
  const familyZipf = new Zipf(M.familyNames.ranks, M.familyNames.s, M.familyNames.q);
  const familyName = () => familyTable[familyZipf.draw(rand)];

  const givenTables = {
    F: namesTable(GIVEN_NAMES.F, M.givenNames.ranks, GIVEN_ENDINGS.F),
    M: namesTable(GIVEN_NAMES.M, M.givenNames.ranks, GIVEN_ENDINGS.M),
  };
  const givenZipf = new Zipf(M.givenNames.ranks, M.givenNames.s, M.givenNames.q);
  /** The head's order rotates with the decade: each decade has its own most common names. */
  const givenName = (sex: 'F' | 'M', dateOfBirth: string) => {
    const table = givenTables[sex];
    const headSize = GIVEN_NAMES[sex].length;
    const rank = givenZipf.draw(rand);
    if (rank >= headSize) return table[rank];
    const decade = Math.max(0, Math.floor((Number(dateOfBirth.slice(0, 4)) - 1920) / 10));
    return table[(rank + M.givenNames.shiftPerDecade * decade) % headSize];
  };

  const streetZipf = new Zipf(M.streets.ranks, M.streets.s, M.streets.q);
  const streetNames = namesTable(STREET_HEAD, M.streets.ranks, ['wood', 'field', 'view', 'ridge', 'dale']);
  const zipZipf = new Zipf(M.postalCodes.ranks, M.postalCodes.s, M.postalCodes.q);
  const address = () => {
    const street = streetZipf.draw(rand);
    const zip = zipZipf.draw(rand);
    const [city, zip3] = CITIES[zip % CITIES.length];
    return {
      addressLine1: `${1 + Math.floor(rand() * 9999)} ${streetNames[street]} ${STREET_KINDS[street % STREET_KINDS.length]}`,
      city,
      state: 'CO',
      postalCode: `${zip3}${String(Math.floor(zip / CITIES.length)).padStart(2, '0')}`,
    };
  };

  const MONTH_WEIGHTS = [0.95, 0.9, 0.98, 0.96, 1, 1, 1.06, 1.08, 1.07, 1.02, 0.97, 1];
  const monthTotal = MONTH_WEIGHTS.reduce((a, b) => a + b, 0);
  const age = (min = 0, max = 99) => {
    for (;;) {
      const a = min + Math.floor(rand() * (max - min + 1));
      if (a < 60 || rand() < (100 - a) / 40) return a;
    }
  };
  const birthDate = (years: number) => {
    const year = 2026 - years;
    if (rand() < M.unknownBirthday) return `${year}-01-01`;
    let x = rand() * monthTotal;
    let month = 0;
    while (x >= MONTH_WEIGHTS[month] && month < 11) x -= MONTH_WEIGHTS[month++];
    const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return `${year}-${String(month + 1).padStart(2, '0')}-${String(1 + Math.floor(rand() * days)).padStart(2, '0')}`;
  };

  const SSN_SPACE = 665 * 99 * 9999;
  let ssns = 0;
  const newSsn = () => {
    const k = scrambled(ssns++, SSN_SPACE, 1_000_003);
    const area = 1 + (k % 665);
    const group = 1 + (Math.floor(k / 665) % 99);
    const serial = 1 + Math.floor(k / (665 * 99));
    return `${String(area).padStart(3, '0')}${String(group).padStart(2, '0')}${String(serial).padStart(4, '0')}`;
  };
  let memberIds = 0;
  const newMemberId = () => `M${String(scrambled(memberIds++, 1_000_000_000, 48_271)).padStart(9, '0')}`;

  type Home = Pick<PersonInput, 'addressLine1' | 'city' | 'state' | 'postalCode'>;
  const person = (id: string, sex: 'F' | 'M', dateOfBirth: string, family: string, home: Home): PersonInput => ({
    id,
    givenName: givenName(sex, dateOfBirth),
    middleName: rand() < 0.5 ? givenName(sex, dateOfBirth) : null,
    familyName: family,
    dateOfBirth,
    sex,
    ssn: rand() < 0.92 ? newSsn() : null,
    memberId: newMemberId(),
    ...home,
  });
  const sexOf = () => (rand() < 0.51 ? 'F' : 'M');
  /**
   * A given name for someone's twin: their own, a third of the time with the same first letter; never the
   * name (or a form of the name: Anna and Nancy) of a sibling born with them.
   */
  const twinName = (of: PersonInput, sex: 'F' | 'M', siblings: readonly string[] = [of.givenName]) => {
    const alike = rand() < 1 / 3;
    for (let tries = 0; ; tries += 1) {
      const name = givenName(sex, of.dateOfBirth);
      if (siblings.some((sibling) => areNicknames(firstName(name), firstName(sibling)))) continue;
      if (!alike || tries > 50 || name[0] === of.givenName[0]) return name;
    }
  };

  const roster: PersonInput[] = [];
  const nextId = () => `rp-${roster.length + 1}`;
  const add = (member: PersonInput) => {
    if (roster.length >= options.rosterSize) return;
    roster.push(member);
    if (rand() < M.twinRate && roster.length < options.rosterSize) {
      const sex = sexOf();
      const home = { addressLine1: member.addressLine1, city: member.city, state: member.state, postalCode: member.postalCode };
      roster.push({ ...person(nextId(), sex, member.dateOfBirth, member.familyName, home), givenName: twinName(member, sex) });
    }
  };
  while (roster.length < options.rosterSize) {
    const home = address();
    let size = 1;
    for (let x = rand(); size < M.householdSizes.length && x >= M.householdSizes[size - 1]; size += 1) x -= M.householdSizes[size - 1];
    const headAge = age(size > 1 ? 22 : 18);
    const head = person(nextId(), sexOf(), birthDate(headAge), familyName(), home);
    add(head);
    for (let i = 1; i < size && roster.length < options.rosterSize; i += 1) {
      const spouse = i === 1 && rand() < 0.8;
      const years = spouse ? Math.max(18, headAge - 6 + Math.floor(rand() * 13)) : Math.max(0, headAge - 20 - Math.floor(rand() * 21));
      const sex = spouse ? (head.sex === 'F' ? 'M' : 'F') : sexOf();
      const family = rand() < (spouse ? 0.75 : 0.9) ? head.familyName : familyName();
      add(person(nextId(), sex, birthDate(years), family, home));
    }
  }

  const draws = { familyName, address };
  const birthKey = (p: PersonInput) => `${p.familyName}|${p.dateOfBirth}|${p.addressLine1}|${p.postalCode}`;
  let bornTogether: Map<string, string[]> | undefined;
  /** The given names of the members born with `member` (the member's among them): a twin of theirs has another. */
  const siblingsOf = (member: PersonInput) => {
    if (!bornTogether) {
      bornTogether = new Map();
      for (const m of roster) {
        const names = bornTogether.get(birthKey(m));
        if (names) names.push(m.givenName);
        else bornTogether.set(birthKey(m), [m.givenName]);
      }
    }
    return bornTogether.get(birthKey(member))!;
  };
  let byName: Map<string, PersonInput[]> | undefined;
  /** A member whose given and family name a person drawn from the population shares (drawn again until one does). */
  const namesakeOf = (): PersonInput => {
    if (!byName) {
      byName = new Map();
      for (const m of roster) {
        const key = `${m.sex}|${m.givenName}|${m.familyName}`;
        const same = byName.get(key);
        if (same) same.push(m);
        else byName.set(key, [m]);
      }
    }
    for (;;) {
      const sex = sexOf();
      const key = `${sex}|${givenName(sex, birthDate(age()))}|${familyName()}`;
      const same = byName.get(key);
      if (same) return pick(same);
    }
  };
  const patients: PopulationPatient[] = [];
  const P = M.patients;
  for (let i = 0; i < options.patients; i += 1) {
    const id = `pt-${i + 1}`;
    const roll = rand();
    if (roll < P.onRoster) {
      const member = pick(roster);
      patients.push(withNoise(rand, { ...member, id, truth: member.id, kind: 'on-roster', noise: [] }, draws));
    } else if (roll < P.onRoster + P.notOnRoster) {
      const someone = person(id, sexOf(), birthDate(age()), familyName(), address());
      patients.push({ ...someone, memberId: rand() < 0.5 ? newMemberId() : null, truth: null, kind: 'not-on-roster', noise: [] });
    } else if (roll < P.onRoster + P.notOnRoster + P.namesake) {
      // Someone drawn from the population whose names happen to be a member's: common names make most of them.
      const member = namesakeOf();
      patients.push({
        ...member,
        ...address(),
        id,
        middleName: null,
        dateOfBirth: oneDigitOff(rand, member.dateOfBirth),
        ssn: null,
        memberId: null,
        truth: null,
        kind: 'namesake',
        noise: [],
      });
    } else {
      const member = pick(roster);
      const sex = sexOf();
      const twin: PopulationPatient = {
        ...member,
        id,
        givenName: twinName(member, sex, siblingsOf(member)),
        sex,
        middleName: null,
        ssn: rand() < 0.7 ? newSsn() : null,
        memberId: null,
        truth: null,
        kind: 'twin-of-member',
        noise: [],
      };
      patients.push(withNoise(rand, twin, draws));
    }
  }
  return { roster, patients };
}

/** A valid birth date that differs from `date` in one digit (of the year's last two, the month or the day). */
function oneDigitOff(rand: () => number, date: string): string {
  const positions = [2, 3, 5, 6, 8, 9];
  for (;;) {
    const chars = date.split('');
    const at = positions[Math.floor(rand() * positions.length)];
    chars[at] = String((Number(chars[at]) + 1 + Math.floor(rand() * 9)) % 10);
    const candidate = chars.join('');
    const [y, m, d] = candidate.split('-').map(Number);
    if (m >= 1 && m <= 12 && d >= 1 && new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d && Number(candidate.slice(0, 4)) <= 2026)
      return candidate;
  }
}

const share = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(2)} %`;

/** What the population holds, for the benchmark's report: how common its names are, its households and twins. */
export function describePopulation({ roster, patients }: Population): string {
  const counts = (values: string[]) => {
    const map = new Map<string, number>();
    for (const v of values) map.set(v, (map.get(v) ?? 0) + 1);
    return [...map.entries()].sort((a, b) => b[1] - a[1]);
  };
  const n = roster.length;
  const families = counts(roster.map((p) => p.familyName));
  const given = counts(roster.map((p) => p.givenName));
  const top = (entries: [string, number][], k: number) => entries.slice(0, k).reduce((sum, [, c]) => sum + c, 0);
  const households = counts(roster.map((p) => `${p.addressLine1}|${p.postalCode}`));
  const twinKeys = counts(roster.map((p) => `${p.familyName}|${p.dateOfBirth}|${p.addressLine1}|${p.postalCode}`));
  const twins = twinKeys.filter(([, c]) => c > 1).reduce((sum, [, c]) => sum + c, 0);
  const kinds = counts(patients.map((p) => p.kind));
  return [
    `roster ${n.toLocaleString('en-US')}: ${families.length.toLocaleString('en-US')} family names (${families
      .slice(0, 3)
      .map(([name, c]) => `${name} ${share(c, n)}`)
      .join(', ')}; top 10 ${share(top(families, 10), n)}, top 1,000 ${share(top(families, 1000), n)}), ` +
      `${given.length.toLocaleString('en-US')} given names (top ${given[0][0]} ${share(given[0][1], n)}, top 10 ${share(top(given, 10), n)})`,
    `  ${households.length.toLocaleString('en-US')} addresses (${(n / households.length).toFixed(2)} members each), ` +
      `${share(twins, n)} of members are twins on the roster, ${share(roster.filter((p) => p.dateOfBirth.endsWith('-01-01')).length, n)} born on January 1`,
    `patients ${patients.length.toLocaleString('en-US')}: ${kinds.map(([kind, c]) => `${kind} ${share(c, patients.length)}`).join(', ')}`,
  ].join('\n');
}
