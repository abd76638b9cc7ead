import {
  attachVolume,
  createRemoteConsole,
  deleteInstance,
  detachVolume,
  getInstance,
  getInstanceConsole,
  launchInstance,
  listInstances,
  listInstancePage,
  pauseInstance,
  rebootInstance,
  resumeInstance,
  startInstance,
  stopInstance,
  suspendInstance,
  unpauseInstance,
  volumeAttachmentInput,
  resizeInstance,
  confirmResize,
  revertResize,
  liveMigrateInstance,
  migrateInstance,
  evacuateInstance,
  listMigrations,
  listMigrationsInput,
  snapshotInstance,
  snapshotInstanceInput,
  rebuildInstance,
} from "@nimbus/core/compute";
import {
  evacuateInstanceInput,
  getInstanceInput,
  instanceConsoleInput,
  instanceIdInput,
  launchInstanceInput,
  listInstancesInput,
  liveMigrateInstanceInput,
  migrateInstanceInput,
  rebootInstanceInput,
  resizeInstanceInput,
  remoteConsoleInput,
  rebuildInstanceInput,
} from "@nimbus/core/validation";
import { launchAdmitted, procedure, router, verbInput } from "../init";

export const instancesRouter = router({
  list: procedure("instances.list")
    .input(verbInput(listInstancesInput))
    .query(({ ctx, input }) => listInstances({ ctx, input })),
  /** A page of the list with its next and previous cursors (the console's table). */
  page: procedure("instances.page")
    .input(verbInput(listInstancesInput))
    .query(({ ctx, input }) => listInstancePage({ ctx, input })),
  /** The operator's list: every project's instances (with the same filters). */
  allProjects: procedure("instances.allProjects")
    .input(verbInput(listInstancesInput))
    .query(({ ctx, input }) => listInstances({ ctx, input: { ...input, allProjects: true } })),
  get: procedure("instances.get")
    .input(verbInput(getInstanceInput))
    .query(({ ctx, input }) => getInstance({ ctx, input })),
  launch: procedure("instances.launch")
    .input(verbInput(launchInstanceInput))
    .use(launchAdmitted(launchInstanceInput))
    .mutation(({ ctx, input }) => launchInstance({ ctx, input })),
  console: procedure("instances.console")
    .input(verbInput(instanceConsoleInput))
    .query(({ ctx, input }) => getInstanceConsole({ ctx, input })),
  /** A graphical console's single-use token and page (Nova's POST /servers/{id}/remote-consoles). */
  remoteConsole: procedure("instances.remoteConsole")
    .input(verbInput(remoteConsoleInput))
    .mutation(({ ctx, input }) => createRemoteConsole({ ctx, input })),
  delete: procedure("instances.delete")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => deleteInstance({ ctx, input })),
  // The lifecycle actions: each answers once the host took the command; progress arrives on the socket.
  stop: procedure("instances.stop")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => stopInstance({ ctx, input })),
  start: procedure("instances.start")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => startInstance({ ctx, input })),
  reboot: procedure("instances.reboot")
    .input(verbInput(rebootInstanceInput))
    .mutation(({ ctx, input }) => rebootInstance({ ctx, input })),
  pause: procedure("instances.pause")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => pauseInstance({ ctx, input })),
  unpause: procedure("instances.unpause")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => unpauseInstance({ ctx, input })),
  suspend: procedure("instances.suspend")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => suspendInstance({ ctx, input })),
  resume: procedure("instances.resume")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => resumeInstance({ ctx, input })),
  /** Volumes attach at launch only: these check and refuse in plain words (see attachVolume). */
  attachVolume: procedure("instances.attachVolume")
    .input(verbInput(volumeAttachmentInput))
    .mutation(({ ctx, input }) => attachVolume({ ctx, input })),
  detachVolume: procedure("instances.detachVolume")
    .input(verbInput(volumeAttachmentInput))
    .mutation(({ ctx, input }) => detachVolume({ ctx, input })),
  // The moves: resize and its confirm / revert (members), cold migration and evacuation (cloud admins).
  resize: procedure("instances.resize")
    .input(verbInput(resizeInstanceInput))
    .mutation(({ ctx, input }) => resizeInstance({ ctx, input })),
  confirmResize: procedure("instances.confirmResize")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => confirmResize({ ctx, input })),
  revertResize: procedure("instances.revertResize")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => revertResize({ ctx, input })),
  migrate: procedure("instances.migrate")
    .input(verbInput(migrateInstanceInput))
    .mutation(({ ctx, input }) => migrateInstance({ ctx, input })),
  /** Nova's os-migrateLive (cloud admins): the running guest moves; progress is the instance's own stream. */
  liveMigrate: procedure("instances.liveMigrate")
    .input(verbInput(liveMigrateInstanceInput))
    .mutation(({ ctx, input }) => liveMigrateInstance({ ctx, input })),
  evacuate: procedure("instances.evacuate")
    .input(verbInput(evacuateInstanceInput))
    .mutation(({ ctx, input }) => evacuateInstance({ ctx, input })),
  /** Nova's createImage: answers the new image's id at once; the snapshot's progress is the instance's task state. */
  snapshot: procedure("instances.snapshot")
    .input(verbInput(snapshotInstanceInput))
    .mutation(({ ctx, input }) => snapshotInstance({ ctx, input })),
  /** Nova's rebuild: a fresh root disk from a new or the same image, same host and ports. */
  rebuild: procedure("instances.rebuild")
    .input(verbInput(rebuildInstanceInput))
    .mutation(({ ctx, input }) => rebuildInstance({ ctx, input })),
});

/** Nova's os-migrations, for cloud admins. */
export const migrationsRouter = router({
  list: procedure("migrations.list")
    .input(verbInput(listMigrationsInput))
    .query(({ ctx, input }) => listMigrations({ ctx, input })),
});
