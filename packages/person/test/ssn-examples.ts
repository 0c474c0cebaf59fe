/** SSNs every test of the rule uses: placeholders and never-issued numbers, and real-looking ones. */
export const PLACEHOLDER_SSNS = [
  '000000000',
  '111111111',
  '999999999',
  '123456789',
  '078051120',
  '000123456',
  '666123456',
  '912345678',
  '123001234',
  '123450000',
];
export const REAL_SSNS = ['123456780', '078051121', '665123456'];
