/** `npm run compose`: writes schema/subgraphs/*.graphql and schema/supergraph.graphql. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph, SCHEMA_DIR } from './supergraph';

async function main() {
  const { subgraphs, supergraphSdl } = await composeSupergraph();
  await mkdir(path.join(SCHEMA_DIR, 'subgraphs'), { recursive: true });
  for (const { name, sdl } of subgraphs) await writeFile(path.join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), sdl);
  await writeFile(path.join(SCHEMA_DIR, 'supergraph.graphql'), supergraphSdl);
  console.log(`wrote ${subgraphs.map((s) => `schema/subgraphs/${s.name}.graphql`).join(', ')} and schema/supergraph.graphql`);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
