/**
 * Synthetic rosters and care-request patients with known truth, for the quality benchmark and tests.
 *
 * Patients are drawn from the roster with the noise real feeds carry (nicknames, typos, transposed
 * letters, day/month swaps, one-digit slips, married names, missing or placeholder SSNs and member ids,
 * moves, upper case, extra spaces, diacritics), plus people who are not on the roster, and twins of roster
 * members — the classic false-match trap. Deterministic for a given seed.
 */
import type { PersonInput } from './normalize';

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same data on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FEMALE = [
  'Mary',
  'Patricia',
  'Jennifer',
  'Linda',
  'Elizabeth',
  'Barbara',
  'Susan',
  'Jessica',
  'Sarah',
  'Karen',
  'Nancy',
  'Lisa',
  'Margaret',
  'Betty',
  'Sandra',
  'Ashley',
  'Dorothy',
  'Kimberly',
  'Emily',
  'Donna',
  'Michelle',
  'Carol',
  'Amanda',
  'Melissa',
  'Deborah',
  'Stephanie',
  'Rebecca',
  'Laura',
  'Helen',
  'Sharon',
  'Cynthia',
  'Kathleen',
  'Amy',
  'Shirley',
  'Angela',
  'Anna',
  'Ruth',
  'Brenda',
  'Pamela',
  'Nicole',
  'Katherine',
  'Virginia',
  'Catherine',
  'Christine',
  'Samantha',
  'Debra',
  'Janet',
  'Rachel',
  'Carolyn',
  'Emma',
  'Maria',
  'Heather',
  'Diane',
  'Julie',
  'Joyce',
  'Victoria',
  'Kelly',
  'Christina',
  'Joan',
  'Evelyn',
  'Lauren',
  'Judith',
  'Olivia',
  'Frances',
  'Martha',
  'Cheryl',
  'Megan',
  'Andrea',
  'Hannah',
  'Jacqueline',
  'Ann',
  'Jean',
  'Alice',
  'Kathryn',
  'Gloria',
  'Teresa',
  'Doris',
  'Sara',
  'Janice',
  'Julia',
  'Marie',
  'Madison',
  'Grace',
  'Judy',
  'Theresa',
  'Beverly',
  'Denise',
  'Marilyn',
  'Amber',
  'Danielle',
  'Abigail',
  'Brittany',
  'Rose',
  'Diana',
  'Natalie',
  'Sophia',
  'Alexis',
  'Lori',
  'Kayla',
  'Jane',
  'José',
  'Zoë',
  'Renée',
  'Chloé',
  'Inés',
  'Siobhán',
  'Mary Ann',
  'Anne-Marie',
];
const MALE = [
  'James',
  'Robert',
  'John',
  'Michael',
  'David',
  'William',
  'Richard',
  'Joseph',
  'Thomas',
  'Charles',
  'Christopher',
  'Daniel',
  'Matthew',
  'Anthony',
  'Mark',
  'Donald',
  'Steven',
  'Paul',
  'Andrew',
  'Joshua',
  'Kenneth',
  'Kevin',
  'Brian',
  'George',
  'Timothy',
  'Ronald',
  'Edward',
  'Jason',
  'Jeffrey',
  'Ryan',
  'Jacob',
  'Gary',
  'Nicholas',
  'Eric',
  'Jonathan',
  'Stephen',
  'Larry',
  'Justin',
  'Scott',
  'Brandon',
  'Benjamin',
  'Samuel',
  'Gregory',
  'Alexander',
  'Frank',
  'Patrick',
  'Raymond',
  'Jack',
  'Dennis',
  'Jerry',
  'Tyler',
  'Aaron',
  'Jose',
  'Adam',
  'Nathan',
  'Henry',
  'Douglas',
  'Zachary',
  'Peter',
  'Kyle',
  'Ethan',
  'Walter',
  'Noah',
  'Jeremy',
  'Christian',
  'Keith',
  'Roger',
  'Terry',
  'Gerald',
  'Harold',
  'Sean',
  'Austin',
  'Carl',
  'Arthur',
  'Lawrence',
  'Dylan',
  'Jesse',
  'Jordan',
  'Bryan',
  'Billy',
  'Joe',
  'Bruce',
  'Gabriel',
  'Logan',
  'Albert',
  'Willie',
  'Alan',
  'Juan',
  'Wayne',
  'Elijah',
  'Randy',
  'Roy',
  'Vincent',
  'Ralph',
  'Eugene',
  'Russell',
  'Bobby',
  'Mason',
  'Philip',
  'Louis',
  'François',
  'Jürgen',
  'Søren',
  'Jean-Luc',
];
const FAMILY = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  'Roberts',
  'Gomez',
  'Phillips',
  'Evans',
  'Turner',
  'Diaz',
  'Parker',
  'Cruz',
  'Edwards',
  'Collins',
  'Reyes',
  'Stewart',
  'Morris',
  'Morales',
  'Murphy',
  'Cook',
  'Rogers',
  'Gutierrez',
  'Ortiz',
  'Morgan',
  'Cooper',
  'Peterson',
  'Bailey',
  'Reed',
  'Kelly',
  'Howard',
  'Ramos',
  'Kim',
  'Cox',
  'Ward',
  'Richardson',
  'Watson',
  'Brooks',
  'Chavez',
  'Wood',
  'James',
  'Bennett',
  'Gray',
  'Mendoza',
  'Ruiz',
  'Hughes',
  'Price',
  'Alvarez',
  'Castillo',
  'Sanders',
  'Patel',
  'Myers',
  'Long',
  'Ross',
  'Foster',
  'Jimenez',
  'Powell',
  'Jenkins',
  'Perry',
  'Russell',
  'Sullivan',
  'Bell',
  'Coleman',
  'Butler',
  'Henderson',
  'Barnes',
  'Gonzales',
  'Fisher',
  'Vasquez',
  'Simmons',
  'Romero',
  'Jordan',
  'Patterson',
  'Alexander',
  'Hamilton',
  'Graham',
  'Reynolds',
  'Griffin',
  'Wallace',
  'Moreno',
  'West',
  'Cole',
  'Hayes',
  'Bryant',
  'Herrera',
  'Gibson',
  'Ellis',
  'Tran',
  'Medina',
  'Aguilar',
  'Stevens',
  'Murray',
  'Ford',
  'Castro',
  'Marshall',
  'Owens',
  'Harrison',
  'Fernandez',
  'McDonald',
  'Woods',
  'Washington',
  'Kennedy',
  'Wells',
  'Vargas',
  'Henry',
  'Chen',
  'Freeman',
  'Webb',
  'Tucker',
  'Guzman',
  'Burns',
  'Crawford',
  'Olson',
  'Simpson',
  'Porter',
  'Hunter',
  'Gordon',
  'Mendez',
  'Silva',
  'Shaw',
  'Snyder',
  'Mason',
  'Dixon',
  'Munoz',
  'Hunt',
  'Hicks',
  'Holmes',
  'Palmer',
  'Wagner',
  'Black',
  'Robertson',
  'Boyd',
  'Rose',
  'Stone',
  'Salazar',
  'Fox',
  'Warren',
  'Mills',
  'Meyer',
  'Rice',
  'Schmidt',
  'Garza',
  'Daniels',
  'Ferguson',
  'Nichols',
  'Stephens',
  'Soto',
  'Weaver',
  'Ryan',
  'Gardner',
  'Payne',
  'Grant',
  'Dunn',
  "O'Brien",
  "O'Connor",
  'García-López',
  'Smith-Jones',
  'van der Berg',
  'De La Cruz',
  'Müller',
  'Núñez',
  'St. John',
  'MacDonald',
  'Nowak',
  'Kowalski',
  'Dubois',
  'Rossi',
  'Yamamoto',
  'Nakamura',
  'Singh',
  'Khan',
  'Cohen',
  'Schwartz',
  'Novak',
  'Horvath',
  'Larsen',
  'Johansson',
  'Andersen',
  'Jensen',
  'Nilsen',
];
/** Given names by sex and family names, most common first (the demo data takes its names from here too). */
export const GIVEN_NAMES: Readonly<Record<'F' | 'M', readonly string[]>> = { F: FEMALE, M: MALE };
export const FAMILY_NAMES: readonly string[] = FAMILY;

const NICKNAMES: Record<string, string[]> = {
  William: ['Bill', 'Will', 'Billy'],
  Robert: ['Bob', 'Rob', 'Bobby'],
  Richard: ['Rick', 'Dick', 'Rich'],
  James: ['Jim', 'Jimmy', 'Jamie'],
  Elizabeth: ['Liz', 'Beth', 'Betty'],
  Margaret: ['Maggie', 'Peggy', 'Meg'],
  Katherine: ['Kathy', 'Kate', 'Katie'],
  Catherine: ['Cathy', 'Kate'],
  Michael: ['Mike', 'Mikey'],
  Christopher: ['Chris'],
  Jennifer: ['Jen', 'Jenny'],
  Thomas: ['Tom', 'Tommy'],
  Joseph: ['Joe', 'Joey'],
  Daniel: ['Dan', 'Danny'],
  Patricia: ['Pat', 'Patty', 'Trish'],
  Susan: ['Sue', 'Susie'],
  Deborah: ['Debbie', 'Deb'],
  Edward: ['Ed', 'Ted', 'Eddie'],
  Anthony: ['Tony'],
  Nicholas: ['Nick'],
  Matthew: ['Matt'],
  Andrew: ['Andy', 'Drew'],
  Samuel: ['Sam'],
  Samantha: ['Sam'],
  Alexander: ['Alex'],
  Kenneth: ['Ken'],
  Timothy: ['Tim'],
  Ronald: ['Ron'],
  Gregory: ['Greg'],
  Stephen: ['Steve'],
  Steven: ['Steve'],
  Rebecca: ['Becky'],
  Pamela: ['Pam'],
  Kimberly: ['Kim'],
  Jacqueline: ['Jackie'],
  Victoria: ['Vicky'],
  Abigail: ['Abby'],
  Benjamin: ['Ben'],
  Donald: ['Don'],
  Lawrence: ['Larry'],
  Gerald: ['Jerry'],
  Zachary: ['Zach'],
  Jacob: ['Jake'],
  Jonathan: ['Jon'],
  Joshua: ['Josh'],
  Frances: ['Fran'],
  Theresa: ['Terry', 'Tess'],
  Judith: ['Judy'],
  Dorothy: ['Dot'],
  Virginia: ['Ginny'],
  Cynthia: ['Cindy'],
  Walter: ['Walt'],
  Philip: ['Phil'],
};
const STREETS = [
  'Main Street',
  'Oak Avenue',
  'Maple Drive',
  'Cedar Lane',
  'Pine Road',
  'Elm Street',
  'Washington Boulevard',
  'Lake Court',
  'Hill Street',
  'Park Place',
  'Colfax Avenue',
  'Broadway',
  'Federal Boulevard',
  '1st Street',
  '2nd Avenue',
  'Sunset Drive',
  'River Road',
  'Spring Street',
  'Church Street',
  'Mill Road',
];
/** Colorado cities with their ZIP prefixes (both generators). */
export const CITIES: readonly [string, string][] = [
  ['Denver', '802'],
  ['Aurora', '800'],
  ['Boulder', '803'],
  ['Pueblo', '810'],
  ['Greeley', '806'],
  ['Fort Collins', '805'],
  ['Colorado Springs', '809'],
  ['Lakewood', '804'],
  ['Durango', '813'],
  ['Grand Junction', '815'],
];

export type NoiseKind =
  | 'nickname'
  | 'given-typo'
  | 'family-typo'
  | 'married-name'
  | 'hyphen-part'
  | 'dob-swap'
  | 'dob-slip'
  | 'ssn-missing'
  | 'ssn-placeholder'
  | 'ssn-typo'
  | 'member-missing'
  | 'moved'
  | 'upper-case'
  | 'extra-spaces'
  | 'diacritics'
  | 'middle-dropped';

export interface SyntheticPatient extends PersonInput {
  /** The roster member this patient is (null: not on the roster). */
  truth: string | null;
  kind: 'on-roster' | 'not-on-roster' | 'twin-of-member';
  noise: NoiseKind[];
}

export interface SyntheticData {
  roster: PersonInput[];
  patients: SyntheticPatient[];
}

function typo(rand: () => number, value: string): string {
  if (value.length < 3) return value;
  const i = 1 + Math.floor(rand() * (value.length - 2));
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  switch (Math.floor(rand() * 4)) {
    case 0: // substitution
      return value.slice(0, i) + letters[Math.floor(rand() * 26)] + value.slice(i + 1);
    case 1: // transposition
      return value.slice(0, i - 1) + value[i] + value[i - 1] + value.slice(i + 1);
    case 2: // deletion
      return value.slice(0, i) + value.slice(i + 1);
    default: // insertion
      return value.slice(0, i) + letters[Math.floor(rand() * 26)] + value.slice(i);
  }
}

/** Where a noisy copy's new values come from when it changes them (a married name, a move). */
export interface NoiseDraws {
  familyName(): string;
  address(): Pick<PersonInput, 'addressLine1' | 'city' | 'state' | 'postalCode'>;
}

/**
 * A roster member as a care request records them: the noise real feeds carry, each with its probability,
 * applied to `p` in place (and listed in `p.noise`). Shared by both generators so that they carry the same noise.
 */
export function withNoise<P extends PersonInput & { noise: NoiseKind[] }>(rand: () => number, p: P, draw: NoiseDraws): P {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const apply = (kind: NoiseKind, probability: number, change: () => unknown) => {
    if (rand() < probability && change() !== false) p.noise.push(kind);
  };
  apply('nickname', 0.15, () => {
    const first = p.givenName.split(' ')[0];
    const options = NICKNAMES[first];
    if (!options) return false;
    p.givenName = pick(options);
  });
  apply('given-typo', 0.05, () => void (p.givenName = typo(rand, p.givenName)));
  apply('family-typo', 0.05, () => void (p.familyName = typo(rand, p.familyName)));
  apply('married-name', p.sex === 'F' ? 0.05 : 0, () => void (p.familyName = draw.familyName()));
  apply('hyphen-part', 0.5, () => {
    if (!/[- ]/.test(p.familyName)) return false;
    p.familyName = p.familyName.split(/[- ]/).filter((part) => part.length > 3)[0] ?? p.familyName;
  });
  apply('dob-swap', 0.02, () => {
    const [y, m, d] = p.dateOfBirth.split('-');
    if (Number(d) > 12 || d === m) return false;
    p.dateOfBirth = `${y}-${d}-${m}`;
  });
  apply('dob-slip', 0.02, () => {
    const chars = p.dateOfBirth.split('');
    const positions = [2, 3, 6, 9]; // decade, year, month digit, day digit
    const at = pick(positions);
    const replacement = String((Number(chars[at]) + 1 + Math.floor(rand() * 8)) % 10);
    chars[at] = replacement;
    const candidate = chars.join('');
    const [y, m, d] = candidate.split('-').map(Number);
    const date = new Date(Date.UTC(y, m - 1, d));
    if (m < 1 || m > 12 || date.getUTCDate() !== d) return false;
    p.dateOfBirth = candidate;
  });
  apply('ssn-missing', 0.3, () => (p.ssn ? void (p.ssn = null) : false));
  apply('ssn-placeholder', 0.03, () => void (p.ssn = pick(['000000000', '999999999', '123456789'])));
  apply('ssn-typo', 0.01, () => {
    if (!p.ssn) return false;
    const at = Math.floor(rand() * 9);
    p.ssn = p.ssn.slice(0, at) + String((Number(p.ssn[at]) + 1) % 10) + p.ssn.slice(at + 1);
  });
  apply('member-missing', 0.4, () => void (p.memberId = null));
  apply('moved', 0.1, () => void Object.assign(p, draw.address()));
  apply('middle-dropped', 0.3, () => (p.middleName ? void (p.middleName = null) : false));
  apply('upper-case', 0.2, () => {
    p.givenName = p.givenName.toUpperCase();
    p.familyName = p.familyName.toUpperCase();
  });
  apply('extra-spaces', 0.1, () => {
    p.givenName = `  ${p.givenName} `;
    p.familyName = `${p.familyName.replace(/ /g, '   ')}  `;
  });
  apply('diacritics', 0.05, () => {
    const folded = p.familyName.normalize('NFKD').replace(/\p{M}/gu, '');
    if (folded === p.familyName) return false;
    p.familyName = folded;
  });
  return p;
}

export function generateSynthetic(options: { rosterSize: number; patients: number; seed?: number }): SyntheticData {
  const rand = seededRandom(options.seed ?? 7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
  const usedSsn = new Set<string>();
  const newSsn = () => {
    for (;;) {
      const ssn = `${String(1 + Math.floor(rand() * 665)).padStart(3, '0')}${String(1 + Math.floor(rand() * 98)).padStart(2, '0')}${String(1 + Math.floor(rand() * 9998)).padStart(4, '0')}`;
      if (!usedSsn.has(ssn)) {
        usedSsn.add(ssn);
        return ssn;
      }
    }
  };
  const address = () => {
    const [city, zip3] = pick(CITIES);
    return { addressLine1: `${1 + Math.floor(rand() * 9999)} ${pick(STREETS)}`, city, state: 'CO', postalCode: `${zip3}${digits(2)}` };
  };
  const dob = () => {
    const d = new Date(Date.UTC(1925 + Math.floor(rand() * 90), 0, 1) + Math.floor(rand() * 365) * 86_400_000);
    return d.toISOString().slice(0, 10);
  };
  const person = (id: string, sex: 'F' | 'M'): PersonInput => ({
    id,
    givenName: pick(sex === 'F' ? FEMALE : MALE),
    middleName: rand() < 0.5 ? pick(sex === 'F' ? FEMALE : MALE) : null,
    familyName: pick(FAMILY),
    dateOfBirth: dob(),
    sex,
    ssn: rand() < 0.92 ? newSsn() : null,
    memberId: `M${digits(9)}`,
    ...address(),
  });

  const roster: PersonInput[] = [];
  while (roster.length < options.rosterSize) {
    const member = person(`rp-${roster.length + 1}`, rand() < 0.52 ? 'F' : 'M');
    roster.push(member);
    // 2% have a twin on the roster too: same surname, birth date and address; their own first name.
    if (rand() < 0.02 && roster.length < options.rosterSize) {
      const sex = rand() < 0.5 ? 'F' : 'M';
      let givenName = pick(sex === 'F' ? FEMALE : MALE);
      while (givenName === member.givenName) givenName = pick(sex === 'F' ? FEMALE : MALE);
      roster.push({
        ...member,
        id: `rp-${roster.length + 1}`,
        givenName,
        sex,
        middleName: null,
        ssn: rand() < 0.92 ? newSsn() : null,
        memberId: `M${digits(9)}`,
      });
    }
  }

  const patients: SyntheticPatient[] = [];
  for (let i = 0; i < options.patients; i += 1) {
    const id = `pt-${i + 1}`;
    const roll = rand();
    if (roll < 0.25) {
      patients.push({
        ...person(id, rand() < 0.52 ? 'F' : 'M'),
        memberId: rand() < 0.5 ? `M${digits(9)}` : null,
        truth: null,
        kind: 'not-on-roster',
        noise: [],
      });
      continue;
    }
    const member = pick(roster);
    if (roll < 0.3) {
      // A twin of a roster member who is not on the roster: same surname, birth date and address.
      const sex = rand() < 0.5 ? 'F' : 'M';
      let givenName = pick(sex === 'F' ? FEMALE : MALE);
      while (givenName === member.givenName) givenName = pick(sex === 'F' ? FEMALE : MALE);
      patients.push({
        ...member,
        id,
        givenName,
        sex,
        middleName: null,
        ssn: rand() < 0.7 ? newSsn() : null,
        memberId: null,
        truth: null,
        kind: 'twin-of-member',
        noise: [],
      });
      continue;
    }
    patients.push(
      withNoise(rand, { ...member, id, truth: member.id, kind: 'on-roster', noise: [] }, { familyName: () => pick(FAMILY), address }),
    );
  }
  return { roster, patients };
}
