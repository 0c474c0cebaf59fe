/** `npm run compose`: writes schema/subgraphs/*.graphql, schema/supergraph.graphql and schema/api.graphql. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph, SCHEMA_DIR } from './supergraph';

async function main() {
  const { subgraphs, supergraphSdl, apiSdl } = await composeSupergraph();
  await mkdir(path.join(SCHEMA_DIR, 'subgraphs'), { recursive: true });
  for (const { name, sdl } of subgraphs) await writeFile(path.join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), sdl);
  await writeFile(path.join(SCHEMA_DIR, 'supergraph.graphql'), supergraphSdl);
  await writeFile(path.join(SCHEMA_DIR, 'api.graphql'), apiSdl);
  console.log(
    `wrote ${subgraphs.map((s) => `schema/subgraphs/${s.name}.graphql`).join(', ')}, schema/supergraph.graphql and schema/api.graphql`,
  );
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
