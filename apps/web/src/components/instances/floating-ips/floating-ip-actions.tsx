"use client";

import { Button, Menu, Text, Tooltip } from "@mantine/core";
import { useId, useState } from "react";
import { AssociateInstanceFloatingIpModal } from "./associate-instance-floating-ip-modal";
import { DisassociateInstanceFloatingIpModal } from "./disassociate-instance-floating-ip-modal";
import { associateCheck, disassociateCheck, type FloatingIpCheck, useInstanceFloatingIps } from "./instance-floating-ips";

type FloatingIpAction = "associate" | "disassociate";
const LABELS: Record<FloatingIpAction, string> = { associate: "Associate floating IP", disassociate: "Disassociate floating IP" };

/** Which floating IP dialog of an instance is open, and the dialogs themselves. */
export function useFloatingIpDialogs(instance: { id: string; name: string }) {
  const [open, setOpen] = useState<FloatingIpAction | null>(null);
  const dialogs = (
    <>
      <AssociateInstanceFloatingIpModal instance={instance} opened={open === "associate"} onClose={() => setOpen(null)} />
      <DisassociateInstanceFloatingIpModal instance={instance} opened={open === "disassociate"} onClose={() => setOpen(null)} />
    </>
  );
  return { open: setOpen, dialogs };
}

function useChecks(instance: { id: string; name: string }): Record<FloatingIpAction, FloatingIpCheck> {
  const state = useInstanceFloatingIps(instance.id);
  return { associate: associateCheck(instance.name, state), disassociate: disassociateCheck(instance.name, state) };
}

/** The row menu's floating IP items, each disabled with its reason (rendered only while the menu is open). */
export function FloatingIpMenuItems({ instance, onOpen }: { instance: { id: string; name: string }; onOpen(action: FloatingIpAction): void }) {
  const checks = useChecks(instance);
  const baseId = useId();
  return (
    <>
      <Menu.Divider />
      {(["associate", "disassociate"] as const).map((action) => {
        const check = checks[action];
        const reasonId = `${baseId}-${action}-reason`;
        return (
          <Menu.Item
            key={action}
            disabled={!check.allowed}
            aria-describedby={check.allowed ? undefined : reasonId}
            title={check.allowed ? undefined : check.reason}
            onClick={() => onOpen(action)}
          >
            {LABELS[action]}
            {!check.allowed && (
              <Text id={reasonId} size="xs" c="dimmed" maw={260}>
                {check.reason}
              </Text>
            )}
          </Menu.Item>
        );
      })}
    </>
  );
}

/** The instance page's floating IP buttons, each disabled with its reason (a tooltip, and aria-describedby). */
export function FloatingIpButtons({ instance, onOpen }: { instance: { id: string; name: string }; onOpen(action: FloatingIpAction): void }) {
  const checks = useChecks(instance);
  const baseId = useId();
  return (
    <>
      {(["associate", "disassociate"] as const).map((action) => {
        const check = checks[action];
        const reasonId = `${baseId}-${action}-reason`;
        return (
          <Tooltip key={action} label={check.allowed ? LABELS[action] : check.reason} multiline maw={300}>
            <span>
              <Button
                size="xs"
                variant="default"
                disabled={!check.allowed}
                aria-describedby={check.allowed ? undefined : reasonId}
                onClick={() => onOpen(action)}
              >
                {LABELS[action]}
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
    </>
  );
}
