/**
 * Runs YAWL specification files (the YAWL Foundation's examples, say — they are not in this
 * repository) against the importer: `npx tsx --conditions=rxdaemon-source scripts/check-yawl-specs.ts DIR`.
 * Each file is imported and its root net's case (with the sub-cases of its composite tasks) is
 * played to the end by completing every enabled task in turn, an MI task with no instance values
 * (routing on data needs the data a real run makes); the report says, per file, imported and completed, or the
 * typed error that names what is not supported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMemoryYawlEngine, importYawl } from 'rxdaemon';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: check-yawl-specs.ts DIR');
  process.exit(2);
}
let imported = 0;
const files = readdirSync(dir).filter((f) => f.endsWith('.yawl') || f.endsWith('.xml'));
for (const file of files) {
  try {
    const workflows = importYawl(readFileSync(join(dir, file), 'utf8'));
    imported++;
    const engine = createMemoryYawlEngine({ workflows });
    const cases: string[] = []; // the root case and the sub-cases of its composite tasks
    let stuck = false;
    engine.events.subscribe((e) => {
      if (e.type === 'case:stuck') stuck = true;
      if (e.type === 'case:created') cases.push(e.caseId);
    });
    const caseId = engine.createCase(workflows[0]!.id);
    const isMI = (id: string, taskId: string) =>
      engine.workflow(engine.caseWorkflow(id)!)?.tasks.find((t) => t.id === taskId)?.mi !== undefined;
    for (let steps = 0; engine.caseStatus(caseId) === 'running' && !stuck && steps < 500; steps++) {
      const next = cases
        .filter((id) => engine.caseStatus(id) === 'running')
        .flatMap((id) =>
          [...engine.tasks(id)].filter(([, state]) => state === 'enabled').map(([t]) => [id, t]),
        )[0];
      if (next === undefined) break;
      const [id, taskId] = next as [string, string];
      engine.enableTask(id, taskId);
      // An MI task completes with its instances' values: none here.
      engine.completeTask(id, taskId, isMI(id, taskId) ? { values: [] } : null);
    }
    console.log(
      `${file}: imported (${workflows.length} net(s)), case ${stuck ? 'stuck' : engine.caseStatus(caseId)}`,
    );
  } catch (error) {
    console.log(`${file}: ${(error as Error).name}: ${(error as Error).message.slice(0, 200)}`);
  }
}
console.log(`\n${imported} of ${files.length} imported`);
