/** The roster tests' file: good and bad rows. Data only, so the log scan can read its names without starting a graph. */
export const HEADER = 'member_id,first_name,middle_name,last_name,date_of_birth,sex,ssn,address_line1,city,state,zip';
export const ROWS = [
  'M1,Ann,Marie,Lee,1950-06-05,F,123-45-6780,1 Main St,Denver,CO,80201',
  'M2,Clara,,Lee,1950-06-05,F,,1 Main St,Denver,CO,80201', // Ann's twin
  'M3,William,,García-López,1948-11-30,M,,5 Oak Ave,Boulder,CO,80301',
  'M4,Robert,,Ng,1948-13-30,M,,,,,', // bad date
  'M5,Zoe,,Park,1990-01-01,X,,,,,', // unknown sex code
  'M6,,,Nameless,1990-01-01,F,,,,,', // missing first name
  'M7,Sam,,Short,1990-01-01,F,1234,,,,', // SSN not 9 digits
  'M1,Ann,,Lee,1950-06-05,F,,,,,', // duplicate member id
  'M8,Peggy,,Olson,1939-02-20,F,000000000,,,,', // placeholder SSN: kept, as no SSN
];
