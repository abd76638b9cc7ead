"use client";

import { Group, Modal, NumberInput, Radio, Select, SimpleGrid, Stack, TextInput, type NumberInputProps } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { MONOSPACE_INPUT } from "@/components/common/input-styles";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";
import { useLastTarget } from "@/lib/use-last-target";
import type { SecurityGroupSummary } from "./types";

type Direction = "ingress" | "egress";
type Protocol = "tcp" | "udp" | "icmp" | "any";

interface RuleFormValues {
  direction: Direction;
  protocol: Protocol;
  /** NumberInput gives "" while empty: all ports. */
  portRangeMin: number | string;
  portRangeMax: number | string;
  remoteKind: "cidr" | "group";
  /** Blank: anywhere. */
  remoteIpPrefix: string;
  remoteGroupId: string | null;
}

const initialValues: RuleFormValues = {
  direction: "ingress",
  protocol: "tcp",
  portRangeMin: "",
  portRangeMax: "",
  remoteKind: "cidr",
  remoteIpPrefix: "",
  remoteGroupId: null,
};
const FORM_FIELDS: readonly string[] = ["direction", "protocol", "portRangeMin", "portRangeMax", "remoteIpPrefix", "remoteGroupId"];
const DIRECTIONS: { value: Direction; label: string }[] = [
  { value: "ingress", label: "Ingress (into the instance)" },
  { value: "egress", label: "Egress (out of the instance)" },
];
const PROTOCOLS: { value: Protocol; label: string }[] = [
  { value: "tcp", label: "TCP" },
  { value: "udp", label: "UDP" },
  { value: "icmp", label: "ICMP" },
  { value: "any", label: "Any protocol" },
];
const isDirection = (v: string | null): v is Direction => DIRECTIONS.some((d) => d.value === v);
const isProtocol = (v: string | null): v is Protocol => PROTOCOLS.some((p) => p.value === v);
const hasPorts = (protocol: Protocol) => protocol === "tcp" || protocol === "udp";

/** A TCP or UDP port, kept as typed (no clamping) so the server's message explains a bad one. */
function PortInput(props: NumberInputProps) {
  return <NumberInput min={1} max={65535} clampBehavior="none" allowDecimal={false} allowNegative={false} {...props} />;
}

function toInput(groupId: string, values: RuleFormValues) {
  const port = (value: number | string) => (hasPorts(values.protocol) && typeof value === "number" ? value : null);
  return {
    groupId,
    direction: values.direction,
    protocol: values.protocol,
    portRangeMin: port(values.portRangeMin),
    portRangeMax: port(values.portRangeMax),
    remoteIpPrefix: values.remoteKind === "cidr" && values.remoteIpPrefix.trim() !== "" ? values.remoteIpPrefix : null,
    remoteGroupId: values.remoteKind === "group" ? values.remoteGroupId : null,
  };
}

interface AddRuleModalProps {
  /** The group to add to; null keeps the dialog closed. */
  group: SecurityGroupSummary | null;
  /** The project's groups, for a remote group. */
  groups: SecurityGroupSummary[];
  onClose(): void;
  onAdded(): void;
}

/** The add-rule dialog: direction, protocol, port range (TCP/UDP), remote CIDR or remote group. */
export function AddRuleModal({ group, groups, onClose, onAdded }: AddRuleModalProps) {
  // Keep the content on screen while the dialog animates closed.
  const current = useLastTarget(group);
  return (
    <Modal opened={group !== null} onClose={onClose} title={`Add a rule to ${current?.name ?? "the group"}`} centered size="lg">
      {current && <AddRuleForm group={current} groups={groups} onCancel={onClose} onAdded={onAdded} />}
    </Modal>
  );
}

function AddRuleForm({
  group,
  groups,
  onCancel,
  onAdded,
}: {
  group: SecurityGroupSummary;
  groups: SecurityGroupSummary[];
  onCancel(): void;
  onAdded(): void;
}) {
  const trpc = useTRPC();
  const {
    values,
    edit,
    mutation: add,
    error,
    fieldError,
    placed,
  } = useMutationForm(initialValues, FORM_FIELDS, trpc.securityGroups.addRule.mutationOptions({ onSuccess: onAdded }));
  const [noGroupChosen, setNoGroupChosen] = useState(false);
  const ports = hasPorts(values.protocol);

  function change(next: Partial<RuleFormValues>) {
    setNoGroupChosen(false);
    edit(next);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (values.remoteKind === "group" && !values.remoteGroupId) {
      setNoGroupChosen(true);
      return;
    }
    add.mutate(toInput(group.id, values));
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <Select
            label="Direction"
            required
            allowDeselect={false}
            data={DIRECTIONS}
            value={values.direction}
            onChange={(direction) => isDirection(direction) && change({ direction })}
            error={fieldError("direction")}
          />
          <Select
            label="Protocol"
            required
            allowDeselect={false}
            data={PROTOCOLS}
            value={values.protocol}
            onChange={(protocol) => isProtocol(protocol) && change({ protocol })}
            error={fieldError("protocol")}
          />
        </SimpleGrid>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <PortInput
            label="First port"
            description={ports ? "Blank: all ports." : "Ports apply to TCP and UDP only."}
            disabled={!ports}
            value={ports ? values.portRangeMin : ""}
            onChange={(portRangeMin) => change({ portRangeMin })}
            error={fieldError("portRangeMin")}
          />
          <PortInput
            label="Last port"
            description={ports ? "Blank: the first port only." : " "}
            disabled={!ports}
            value={ports ? values.portRangeMax : ""}
            onChange={(portRangeMax) => change({ portRangeMax })}
            error={fieldError("portRangeMax")}
          />
        </SimpleGrid>
        <Radio.Group
          label="Remote"
          description={values.direction === "ingress" ? "Where the traffic may come from." : "Where the traffic may go to."}
          value={values.remoteKind}
          onChange={(kind) => change({ remoteKind: kind === "group" ? "group" : "cidr" })}
        >
          <Group mt="xs">
            <Radio value="cidr" label="CIDR" />
            <Radio value="group" label="Security group" />
          </Group>
        </Radio.Group>
        {values.remoteKind === "cidr" ? (
          <TextInput
            label="Remote CIDR"
            description="Such as 203.0.113.0/24, or one address. Blank: anywhere (0.0.0.0/0)."
            styles={MONOSPACE_INPUT}
            value={values.remoteIpPrefix}
            onChange={(e) => change({ remoteIpPrefix: e.currentTarget.value })}
            error={fieldError("remoteIpPrefix")}
          />
        ) : (
          <Select
            label="Remote security group"
            description="Ports in this group, whatever their address."
            required
            data={groups.map((g) => ({ value: g.id, label: g.id === group.id ? `${g.name} (this group)` : g.name }))}
            value={values.remoteGroupId}
            onChange={(remoteGroupId) => change({ remoteGroupId })}
            error={noGroupChosen ? "Choose a security group." : fieldError("remoteGroupId")}
          />
        )}
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not add the rule"
          submitLabel="Add rule"
          pending={add.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
