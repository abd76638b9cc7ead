"use client";

import { Alert, Button, Code, Group, Stack, Text, Textarea } from "@mantine/core";
import { MONOSPACE_INPUT_XS } from "@/components/common/input-styles";
import { CopyValueButton } from "@/components/common/secret-once";
import { downloadPrivateKey } from "./download-private-key";
import type { CreatedKeyPair } from "./types";

/**
 * The private key of a key pair just generated, shown this one time: Nimbus stores only the
 * public key, so the user must download or copy the private key before leaving.
 */
export function PrivateKeyOnce({ keyPair, onDone }: { keyPair: CreatedKeyPair; onDone(): void }) {
  const file = /\s/.test(keyPair.name) ? `'${keyPair.name}.pem'` : `${keyPair.name}.pem`;
  return (
    <Stack gap="sm">
      <Alert color="yellow" title="This is the only time it is shown">
        Download it or copy it now. Nimbus keeps only the public key, so a lost private key cannot be recovered: you would have to create a new key
        pair.
      </Alert>
      <Textarea
        label="Private key"
        value={keyPair.privateKey}
        readOnly
        autosize
        minRows={6}
        maxRows={12}
        styles={MONOSPACE_INPUT_XS}
        onFocus={(e) => e.currentTarget.select()}
      />
      <Text size="sm">
        Fingerprint <Code>{keyPair.fingerprint}</Code>. Use it with <Code>ssh -i {file} user@address</Code> (after <Code>chmod 600 {file}</Code>).
      </Text>
      <Group justify="space-between">
        <Group gap="xs">
          <Button onClick={() => downloadPrivateKey(keyPair.name, keyPair.privateKey)}>Download private key</Button>
          <CopyValueButton value={keyPair.privateKey} label="Copy key text" />
        </Group>
        <Button variant="default" onClick={onDone}>
          I have saved the private key
        </Button>
      </Group>
    </Stack>
  );
}
