package bot

import "errors"

// MaxAttachmentBytes is the largest file an adapter fetches for a
// handler: the largest any handler takes (a voice note for transcription,
// 25 MB). Handlers check their own, smaller limits (the client import's,
// an attachment's) on Attachment.Size before they open a file.
const MaxAttachmentBytes = 25 << 20

// ErrAttachmentTooLarge is what Attachment.Open returns for a file larger
// than MaxAttachmentBytes, found out only while fetching it (the platform
// did not say its size, or said less).
var ErrAttachmentTooLarge = errors.New("bot: the file is larger than the limit")
