import {
  addImageMember,
  createImage,
  createImageInput,
  deleteImage,
  getImage,
  imageIdInput,
  imageMemberInput,
  imageMemberStatusInput,
  listImageShares,
  listImagePage,
  listImages,
  listImagesInput,
  removeImageMember,
  updateImage,
  updateImageInput,
  updateImageMemberStatus,
} from "@nimbus/core/images";
import { procedure, router, verbInput } from "../init";

/** Glance's image API; the bits go through PUT /api/images/:id/file (image-upload.ts). */
export const imagesRouter = router({
  list: procedure("images.list").query(({ ctx }) => listImages({ ctx })),
  /** A page of the images page's table, sorted and filtered in SQL, with its next and previous cursors. */
  page: procedure("images.page")
    .input(verbInput(listImagesInput))
    .query(({ ctx, input }) => listImagePage({ ctx, input })),
  get: procedure("images.get")
    .input(verbInput(imageIdInput))
    .query(({ ctx, input }) => getImage({ ctx, input })),
  create: procedure("images.create")
    .input(verbInput(createImageInput))
    .mutation(({ ctx, input }) => createImage({ ctx, input })),
  update: procedure("images.update")
    .input(verbInput(updateImageInput))
    .mutation(({ ctx, input }) => updateImage({ ctx, input })),
  delete: procedure("images.delete")
    .input(verbInput(imageIdInput))
    .mutation(({ ctx, input }) => deleteImage({ ctx, input })),
  addMember: procedure("images.addMember")
    .input(verbInput(imageMemberInput))
    .mutation(({ ctx, input }) => addImageMember({ ctx, input })),
  removeMember: procedure("images.removeMember")
    .input(verbInput(imageMemberInput))
    .mutation(({ ctx, input }) => removeImageMember({ ctx, input })),
  shares: procedure("images.shares").query(({ ctx }) => listImageShares({ ctx })),
  updateMember: procedure("images.updateMember")
    .input(verbInput(imageMemberStatusInput))
    .mutation(({ ctx, input }) => updateImageMemberStatus({ ctx, input })),
});
