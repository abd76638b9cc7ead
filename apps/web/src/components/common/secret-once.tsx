"use client";

import { Alert, Button, Code, CopyButton, Group, Stack, Text, Tooltip } from "@mantine/core";
import type { ReactNode } from "react";

/** A button that copies `value`; its accessible name stays `label` while it says "Copied". */
export function CopyValueButton({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={2000}>
      {({ copied, copy }) => (
        <Tooltip label="Copied to the clipboard" opened={copied} withArrow>
          <Button size="xs" variant={copied ? "filled" : "light"} color={copied ? "teal" : "blue"} onClick={copy} aria-label={label}>
            {copied ? "Copied" : label}
          </Button>
        </Tooltip>
      )}
    </CopyButton>
  );
}

/** A secret in a code block with its copy button. */
export function SecretValue({ value, copyLabel, label }: { value: string; copyLabel: string; label: string }) {
  return (
    <Stack gap={4}>
      <Group justify="space-between" align="flex-end">
        <Text size="sm" fw={600}>
          {label}
        </Text>
        <CopyValueButton value={value} label={copyLabel} />
      </Group>
      <Code block aria-label={label} style={{ wordBreak: "break-all", whiteSpace: "pre-wrap" }}>
        {value}
      </Code>
    </Stack>
  );
}

interface SecretOnceProps {
  /** "API token ci-deploy created" */
  title: string;
  /** The secret itself, with its copy button. */
  secret: { value: string; label: string; copyLabel: string };
  /** How to use it: commands, expiry. */
  children?: ReactNode;
  onDismiss(): void;
}

/**
 * A secret the server returns once (API token, agent join token): shown with a copy button and
 * a warning that it will not be shown again; only its hash is stored.
 */
export function SecretOnce({ title, secret, children, onDismiss }: SecretOnceProps) {
  return (
    <Stack gap="sm" component="section" aria-label={title}>
      <Alert color="yellow" title={title}>
        Copy it now: it won&apos;t be shown again. Nimbus keeps only a hash of it, so a lost token cannot be recovered, only replaced.
      </Alert>
      <SecretValue {...secret} />
      {children}
      <Group>
        <Button variant="default" size="xs" onClick={onDismiss}>
          I have copied it
        </Button>
      </Group>
    </Stack>
  );
}
