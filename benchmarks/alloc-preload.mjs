/**
 * Loaded into a doppel process with `node --import` by `benchmarks/profile.ts --alloc`:
 * V8's sampling heap profiler, counting objects the garbage collector has already freed
 * (so the samples add up to what was allocated, not what is alive). The first SIGUSR2
 * starts sampling, the second writes the profile to $DOPPEL_ALLOC_PROFILE.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  session.post('HeapProfiler.stopSampling', (err, res) => {
    if (err !== null) return;
    // Written aside, then renamed: whoever waits for the file never reads half of it.
    const file = process.env.DOPPEL_ALLOC_PROFILE ?? 'doppel.allocprofile';
    writeFileSync(`${file}.part`, JSON.stringify(res.profile));
    renameSync(`${file}.part`, file);
  });
});
