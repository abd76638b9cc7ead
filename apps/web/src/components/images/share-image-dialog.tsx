"use client";

import { Alert, Button, CloseButton, Group, List, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { useLastTarget } from "@/lib/use-last-target";
import type { ImageSummary } from "./image-display";

interface ShareImageDialogProps {
  /** The image to share; null keeps the dialog closed. */
  image: ImageSummary | null;
  onClose(): void;
  onChanged(): void;
}

/** Glance image members: the owner shares an image with other projects by name. */
export function ShareImageDialog({ image, onClose, onChanged }: ShareImageDialogProps) {
  // Keep the content on screen while the dialog animates closed.
  const current = useLastTarget(image);
  return (
    <Modal opened={image !== null} onClose={onClose} title={current ? `Share image ${current.name}` : ""} centered>
      {current && <ShareImageForm key={current.id} image={current} onChanged={onChanged} onClose={onClose} />}
    </Modal>
  );
}

function ShareImageForm({ image, onChanged, onClose }: { image: ImageSummary; onChanged(): void; onClose(): void }) {
  const trpc = useTRPC();
  const [project, setProject] = useState("");
  const [members, setMembers] = useState(image.members);
  const add = useMutation(
    trpc.images.addMember.mutationOptions({
      onSuccess: (updated) => {
        setMembers(updated.members);
        setProject("");
        onChanged();
      },
    }),
  );
  const remove = useMutation(
    trpc.images.removeMember.mutationOptions({
      onSuccess: (updated) => {
        setMembers(updated.members);
        onChanged();
      },
    }),
  );
  const addError = add.error ? toFormError(add.error) : null;
  const removeError = remove.error ? toFormError(remove.error) : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    remove.reset();
    add.mutate({ id: image.id, project });
  }

  return (
    <Stack>
      <Text size="sm">
        Projects the image is shared with see it and can launch it; only your project may change or delete it.
        {image.visibility === "private" ? " Sharing makes the image shared." : ""}
      </Text>
      {members.length === 0 ? (
        <Text size="sm" c="dimmed">
          Not shared with any project yet.
        </Text>
      ) : (
        <List spacing={4} aria-label="Projects the image is shared with">
          {members.map((member) => (
            <List.Item key={member.projectId}>
              <Group gap="xs">
                <Text size="sm">{member.projectName}</Text>
                <CloseButton
                  size="sm"
                  aria-label={`Stop sharing with ${member.projectName}`}
                  onClick={() => remove.mutate({ id: image.id, project: member.projectId })}
                />
              </Group>
            </List.Item>
          ))}
        </List>
      )}
      {removeError && (
        <Alert color="red" title="Could not stop sharing">
          {removeError.message}
        </Alert>
      )}
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Project name"
            required
            value={project}
            onChange={(e) => {
              setProject(e.currentTarget.value);
              if (add.isError) add.reset();
            }}
            error={
              addError?.fieldErrors.project?.[0] ??
              addError?.fieldErrors.id?.[0] ??
              (addError && Object.keys(addError.fieldErrors).length === 0 ? addError.message : undefined)
            }
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Done
            </Button>
            <Button type="submit" loading={add.isPending}>
              Share
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
