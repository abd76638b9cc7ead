import {
  addImageMember,
  createImage,
  createImageInput,
  deleteImage,
  getImage,
  imageIdInput,
  imageMemberInput,
  listImages,
  removeImageMember,
  updateImage,
  updateImageInput,
} from "@nimbus/core/images";
import { procedure, router } from "../init";

/** Glance's image API; the bits go through PUT /api/images/:id/file (image-upload.ts). */
export const imagesRouter = router({
  list: procedure("images.list").query(({ ctx }) => listImages({ ctx })),
  get: procedure("images.get")
    .input(imageIdInput)
    .query(({ ctx, input }) => getImage({ ctx, input })),
  create: procedure("images.create")
    .input(createImageInput)
    .mutation(({ ctx, input }) => createImage({ ctx, input })),
  update: procedure("images.update")
    .input(updateImageInput)
    .mutation(({ ctx, input }) => updateImage({ ctx, input })),
  delete: procedure("images.delete")
    .input(imageIdInput)
    .mutation(({ ctx, input }) => deleteImage({ ctx, input })),
  addMember: procedure("images.addMember")
    .input(imageMemberInput)
    .mutation(({ ctx, input }) => addImageMember({ ctx, input })),
  removeMember: procedure("images.removeMember")
    .input(imageMemberInput)
    .mutation(({ ctx, input }) => removeImageMember({ ctx, input })),
});
