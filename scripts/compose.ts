/** `npm run compose`: writes schema/subgraphs/*.graphql, schema/supergraph.graphql, schema/api.graphql and the README's role table. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph, SCHEMA_DIR, withRoleTable } from './supergraph';

async function main() {
  const { subgraphs, supergraphSdl, apiSdl, roleTable } = await composeSupergraph();
  await mkdir(path.join(SCHEMA_DIR, 'subgraphs'), { recursive: true });
  for (const { name, sdl } of subgraphs) await writeFile(path.join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), sdl);
  await writeFile(path.join(SCHEMA_DIR, 'supergraph.graphql'), supergraphSdl);
  await writeFile(path.join(SCHEMA_DIR, 'api.graphql'), apiSdl);
  const readme = path.join(SCHEMA_DIR, '..', 'README.md');
  await writeFile(readme, withRoleTable(await readFile(readme, 'utf8'), roleTable));
  console.log(
    `wrote ${subgraphs.map((s) => `schema/subgraphs/${s.name}.graphql`).join(', ')}, schema/supergraph.graphql, schema/api.graphql and the role table in README.md`,
  );
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
