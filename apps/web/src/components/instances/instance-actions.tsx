"use client";

import { ActionIcon, Alert, Button, Group, Menu, Modal, Text, Tooltip } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { checkOperation, OPERATIONS, type InstanceOperation, type TaskState, type VmState } from "@nimbus/core/instance-state";
import { useSession } from "@/components/session/session-context";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError, type FormError } from "@/lib/trpc-error";
import { LiveMigrateInstanceModal } from "./moves/live-migrate-instance-modal";
import { MigrateInstanceModal } from "./moves/migrate-instance-modal";
import { RebuildInstanceModal } from "./moves/rebuild-instance-modal";
import { ResizeInstanceModal } from "./moves/resize-instance-modal";
import { SnapshotInstanceModal } from "./snapshot-instance-modal";
import { FloatingIpButtons, FloatingIpMenuItems, useFloatingIpDialogs } from "./floating-ips/floating-ip-actions";

/** An instance as its action controls need it (a list row or the detail page's instance). */
export interface ActionableInstance {
  id: string;
  name: string;
  vmState: string;
  taskState: string | null;
  hostname: string | null;
  /** Its flavor now, for the resize dialog. */
  flavorName: string | null;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  /** Its image and key pair now, for the rebuild dialog. */
  imageId?: string | null;
  keyName?: string | null;
}

/** The order of Horizon's row actions menu (Migrate for cloud admins only). */
const MENU: InstanceOperation[] = [
  "snapshot",
  "start",
  "stop",
  "reboot",
  "reboot_hard",
  "pause",
  "unpause",
  "suspend",
  "resume",
  "resize",
  "confirm_resize",
  "revert_resize",
  "rebuild",
];
const ADMIN_MENU: InstanceOperation[] = ["migrate", "live_migrate"];

/** The operations that open a dialog of their own. */
type DialogOperation = "resize" | "migrate" | "live_migrate" | "snapshot" | "rebuild";
const DIALOGS: readonly InstanceOperation[] = ["resize", "migrate", "live_migrate", "snapshot", "rebuild"] satisfies DialogOperation[];
const isDialog = (operation: InstanceOperation): operation is DialogOperation => DIALOGS.includes(operation);

/** The operations a click runs at once (or after a confirmation); resize, migrate, snapshot and rebuild open their dialogs. */
type DirectOperation = Exclude<
  InstanceOperation,
  DialogOperation | "resize_finish" | "finish_revert" | "evacuate" | "live_migrate_source" | "live_migrate_finish" | "live_migrate_rollback"
>;

function useMenu(): InstanceOperation[] {
  return useSession().isAdmin ? [...MENU, ...ADMIN_MENU] : MENU;
}

/** Whether an operation may run on `instance` now, and if not why (the same rules the server applies). */
export function operationCheck(operation: InstanceOperation, instance: ActionableInstance) {
  return checkOperation(operation, {
    name: instance.name,
    vmState: instance.vmState as VmState,
    taskState: instance.taskState as TaskState | null,
    hasHost: instance.hostname !== null,
  });
}

/** Runs operations on an instance: destructive ones (stop, hard reboot) after a confirmation dialog. */
function useInstanceActions(instance: ActionableInstance) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<InstanceOperation | null>(null);
  const [dialog, setDialog] = useState<DialogOperation | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const options = (operation: InstanceOperation) => ({
    onSuccess: () => {
      setConfirming(null);
      setError(null);
      notifyDone(`${OPERATIONS[operation].label} of ${instance.name} requested.`);
      void queryClient.invalidateQueries({ queryKey: trpc.instances.list.queryKey() });
      void queryClient.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ id: instance.id }) });
    },
    onError: (e: unknown) => setError(toFormError(e)),
  });
  const mutations = {
    stop: useMutation(trpc.instances.stop.mutationOptions(options("stop"))),
    start: useMutation(trpc.instances.start.mutationOptions(options("start"))),
    reboot: useMutation(trpc.instances.reboot.mutationOptions(options("reboot"))),
    reboot_hard: useMutation(trpc.instances.reboot.mutationOptions(options("reboot_hard"))),
    pause: useMutation(trpc.instances.pause.mutationOptions(options("pause"))),
    unpause: useMutation(trpc.instances.unpause.mutationOptions(options("unpause"))),
    suspend: useMutation(trpc.instances.suspend.mutationOptions(options("suspend"))),
    resume: useMutation(trpc.instances.resume.mutationOptions(options("resume"))),
    confirm_resize: useMutation(trpc.instances.confirmResize.mutationOptions(options("confirm_resize"))),
    revert_resize: useMutation(trpc.instances.revertResize.mutationOptions(options("revert_resize"))),
  } satisfies Record<DirectOperation, unknown>;

  function run(operation: InstanceOperation) {
    setError(null);
    const id = instance.id;
    if (isDialog(operation)) return setDialog(operation);
    if (operation === "reboot" || operation === "reboot_hard") mutations[operation].mutate({ id, type: operation === "reboot" ? "SOFT" : "HARD" });
    else if (operation in mutations) mutations[operation as Exclude<DirectOperation, "reboot" | "reboot_hard">].mutate({ id });
  }
  function request(operation: InstanceOperation) {
    if (isDialog(operation)) {
      setError(null);
      setDialog(operation);
    } else if (OPERATIONS[operation].destructive) {
      setError(null);
      setConfirming(operation);
    } else run(operation);
  }
  const pending = Object.values(mutations).some((m) => m.isPending);
  return { request, run, confirming, setConfirming, error, setError, pending, dialog, setDialog };
}

/** The resize, migrate, snapshot and rebuild dialogs of one instance's controls. */
function MoveDialogs({ instance, actions }: { instance: ActionableInstance; actions: ReturnType<typeof useInstanceActions> }) {
  return (
    <>
      <ResizeInstanceModal instance={instance} opened={actions.dialog === "resize"} onClose={() => actions.setDialog(null)} />
      <MigrateInstanceModal instance={instance} opened={actions.dialog === "migrate"} onClose={() => actions.setDialog(null)} />
      <LiveMigrateInstanceModal instance={instance} opened={actions.dialog === "live_migrate"} onClose={() => actions.setDialog(null)} />
      <SnapshotInstanceModal instance={instance} opened={actions.dialog === "snapshot"} onClose={() => actions.setDialog(null)} />
      <RebuildInstanceModal instance={instance} opened={actions.dialog === "rebuild"} onClose={() => actions.setDialog(null)} />
    </>
  );
}

const CONFIRM_TEXT: Partial<Record<InstanceOperation, string>> = {
  stop: "The guest is asked to shut down and powered off if it has not within the shutdown timeout. Unsaved work in it may be lost. The instance keeps its resources and can be started again.",
  reboot_hard: "The instance is powered off at once and started again, as if its power cord were pulled: unsaved work in the guest is lost.",
  revert_resize:
    "The instance goes back to its previous flavor and host, with its disk as it was before the resize: whatever was written since is lost.",
};

function ConfirmActionModal({
  instance,
  operation,
  pending,
  error,
  onConfirm,
  onClose,
}: {
  instance: ActionableInstance;
  operation: InstanceOperation | null;
  pending: boolean;
  error: FormError | null;
  onConfirm(operation: InstanceOperation): void;
  onClose(): void;
}) {
  const spec = operation ? OPERATIONS[operation] : null;
  return (
    <Modal opened={operation !== null} onClose={onClose} title={spec ? `${spec.label} ${instance.name}?` : ""} centered>
      {operation && (
        <Text size="sm" mb="md">
          {CONFIRM_TEXT[operation]}
        </Text>
      )}
      {error && (
        <Alert color="red" title="Could not do that" mb="md">
          {error.message}
        </Alert>
      )}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Button color="red" loading={pending} onClick={() => operation && onConfirm(operation)}>
          {spec ? `Confirm ${spec.label.toLowerCase()}` : "Confirm"}
        </Button>
      </Group>
    </Modal>
  );
}

/** Horizon's row actions menu: every action, each disabled with its reason when the state does not allow it. */
export function InstanceActionsMenu({ instance }: { instance: ActionableInstance }) {
  const actions = useInstanceActions(instance);
  const floatingIps = useFloatingIpDialogs(instance);
  const menu = useMenu();
  const baseId = useId();
  return (
    <>
      <Menu position="bottom-end" withinPortal>
        <Menu.Target>
          <ActionIcon variant="subtle" aria-label={`Actions for ${instance.name}`} loading={actions.pending}>
            <span aria-hidden>⋯</span>
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          {menu.map((operation) => {
            const check = operationCheck(operation, instance);
            const reasonId = `${baseId}-${operation}-reason`;
            return (
              <Menu.Item
                key={operation}
                disabled={!check.allowed}
                color={OPERATIONS[operation].destructive ? "red" : undefined}
                aria-describedby={check.allowed ? undefined : reasonId}
                title={check.allowed ? undefined : check.reason}
                onClick={() => actions.request(operation)}
              >
                {OPERATIONS[operation].label}
                {!check.allowed && (
                  <Text id={reasonId} size="xs" c="dimmed" maw={260}>
                    {check.reason}
                  </Text>
                )}
              </Menu.Item>
            );
          })}
          <FloatingIpMenuItems instance={instance} onOpen={floatingIps.open} />
        </Menu.Dropdown>
      </Menu>
      {actions.error && !actions.confirming && (
        <Text role="alert" size="xs" c="red" maw={240}>
          {actions.error.message}
        </Text>
      )}
      <ConfirmActionModal
        instance={instance}
        operation={actions.confirming}
        pending={actions.pending}
        error={actions.error}
        onConfirm={actions.run}
        onClose={() => actions.setConfirming(null)}
      />
      <MoveDialogs instance={instance} actions={actions} />
      {floatingIps.dialogs}
    </>
  );
}

/** The instance page's action buttons, each disabled with its reason (a tooltip, and aria-describedby). */
export function InstanceActionButtons({ instance }: { instance: ActionableInstance }) {
  const actions = useInstanceActions(instance);
  const floatingIps = useFloatingIpDialogs(instance);
  const menu = useMenu();
  const baseId = useId();
  return (
    <>
      <Group gap="xs" role="group" aria-label={`Actions for ${instance.name}`}>
        {menu.map((operation) => {
          const check = operationCheck(operation, instance);
          const reasonId = `${baseId}-${operation}-reason`;
          return (
            <Tooltip key={operation} label={check.allowed ? OPERATIONS[operation].label : check.reason} multiline maw={300}>
              <span>
                <Button
                  size="xs"
                  variant="default"
                  color={OPERATIONS[operation].destructive ? "red" : undefined}
                  disabled={!check.allowed || actions.pending}
                  aria-describedby={check.allowed ? undefined : reasonId}
                  onClick={() => actions.request(operation)}
                >
                  {OPERATIONS[operation].label}
                </Button>
                {!check.allowed && (
                  <span id={reasonId} hidden>
                    {check.reason}
                  </span>
                )}
              </span>
            </Tooltip>
          );
        })}
        <FloatingIpButtons instance={instance} onOpen={floatingIps.open} />
      </Group>
      {actions.error && !actions.confirming && (
        <Alert color="red" title="Could not do that" role="alert">
          {actions.error.message}
        </Alert>
      )}
      <ConfirmActionModal
        instance={instance}
        operation={actions.confirming}
        pending={actions.pending}
        error={actions.error}
        onConfirm={actions.run}
        onClose={() => actions.setConfirming(null)}
      />
      <MoveDialogs instance={instance} actions={actions} />
      {floatingIps.dialogs}
    </>
  );
}
