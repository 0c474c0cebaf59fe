/**
 * Given-name equivalence: each group lists a formal name with its common English diminutives and variant
 * spellings. A name may sit in several groups ("chris" is Christopher, Christine and Christian), and two
 * names are equivalent when they share a group. Written for this project from common usage; extend a
 * group rather than adding a near-duplicate one.
 */
const GROUPS: string[] = [
  'abigail abby abbie gail',
  'abraham abe bram',
  'adam ade',
  'adrian adriana adrianne adrienne',
  'agnes aggie nessa',
  'albert al bert bertie',
  'alexander alex alec alek xander sandy sasha',
  'alexandra alex alexa lexi sandra sandy sasha',
  'alfred al alf alfie fred',
  'alice allie ally alicia',
  'allison allie ally alison',
  'amanda mandy manda',
  'andrew andy drew',
  'angela angie',
  'anna ann anne annie nancy hannah',
  'anthony tony ant',
  'antonio tony toni',
  'arthur art artie',
  'barbara barb barbie babs',
  'benjamin ben benny benji',
  'bernard bernie',
  'beverly bev',
  'bradley brad',
  'brian bryan',
  'calvin cal',
  'carol carole caroline carolyn carrie',
  'catherine cathy cat kate kathy katie kay kit',
  'katherine kathy kate katie kay kit kathryn kathleen',
  'charles charlie chuck chas chaz chip',
  'charlotte charlie lottie',
  'christina chris tina chrissy christine kristina kristine',
  'christopher chris kit topher',
  'christian chris',
  'clifford cliff',
  'cynthia cindy',
  'daniel dan danny',
  'danielle dani',
  'david dave davey',
  'deborah debbie deb debra',
  'dennis denny',
  'donald don donnie',
  'donna donnie',
  'dorothy dot dottie dolly',
  'douglas doug',
  'edward ed eddie ted teddy ned',
  'edwin ed eddie',
  'eleanor ellie nora',
  'elizabeth liz beth betty betsy eliza lisa liza libby bess lizzie elisabeth',
  'emily em emmy',
  'emma em emmy',
  'eugene gene',
  'francis frank frankie fran',
  'frances fran frannie frankie',
  'franklin frank',
  'frederick fred freddie fritz',
  'gabriel gabe',
  'gabrielle gabby',
  'gerald gerry jerry',
  'gregory greg',
  'harold hal harry',
  'henry hank harry hal',
  'herbert herb',
  'isabella isabel bella izzy',
  'jacob jake jack',
  'jacqueline jackie',
  'james jim jimmy jamie jimbo',
  'janet jan',
  'jeffrey jeff geoffrey',
  'jennifer jen jenny jenn',
  'jeremy jerry',
  'jessica jess jessie',
  'john jon jack johnny',
  'jonathan jon john jonny nathan',
  'joseph joe joey',
  'josephine jo josie',
  'joshua josh',
  'judith judy',
  'julia julie jules',
  'kenneth ken kenny',
  'kimberly kim',
  'lawrence larry laurence',
  'leonard leo len lenny',
  'louis lou louie lewis',
  'margaret maggie meg peggy marge margie greta daisy',
  'martha marty mattie',
  'martin marty',
  'mary molly polly mae mamie maria marie',
  'matthew matt',
  'melissa mel missy lisa',
  'michael mike mick mickey mikey',
  'michelle shelly',
  'mitchell mitch',
  'nathaniel nate nathan nat',
  'nicholas nick nicky',
  'nicole nikki nicky',
  'oliver ollie',
  'pamela pam',
  'patricia pat patty tricia trish',
  'patrick pat paddy',
  'peter pete',
  'philip phil',
  'phillip phil',
  'rachel rae',
  'raymond ray',
  'rebecca becky becca',
  'richard rich rick ricky dick',
  'robert rob bob bobby robbie bert',
  'ronald ron ronnie',
  'russell russ',
  'samantha sam sammy',
  'samuel sam sammy',
  'sandra sandy',
  'sarah sara sally sadie',
  'stephanie steph stephie',
  'stephen steve steven stevie',
  'susan sue susie suzanne',
  'suzanne sue susie',
  'terrence terry',
  'theresa terry tess tessa teresa',
  'theodore ted teddy theo',
  'thomas tom tommy',
  'timothy tim timmy',
  'valerie val',
  'victoria vicky tori',
  'vincent vince vinny',
  'virginia ginny ginger',
  'walter walt wally',
  'william will bill billy willy liam',
  'zachary zach zack',
];

const groupsByName = new Map<string, number[]>();
GROUPS.forEach((group, index) => {
  for (const name of group.split(' ')) {
    const groups = groupsByName.get(name);
    if (groups) groups.push(index);
    else groupsByName.set(name, [index]);
  }
});

/** True when two normalised given names are the same name or share a nickname group. */
export function areNicknames(a: string, b: string): boolean {
  if (a === b) return true;
  const ga = groupsByName.get(a);
  const gb = groupsByName.get(b);
  return !!ga && !!gb && ga.some((g) => gb.includes(g));
}

const formalName = (group: number) => GROUPS[group].split(' ', 1)[0];

// The formal names of each name in a group, worked out once: blocking asks for them for every person.
const formalsByName = new Map<string, readonly string[]>();
for (const [name, groups] of groupsByName) formalsByName.set(name, [...new Set(groups.map(formalName))]);

/** Every formal name a given name may stand for (for blocking on ambiguous nicknames such as "chris"). */
export function nicknameKeys(name: string): readonly string[] {
  return formalsByName.get(name) ?? [name];
}
