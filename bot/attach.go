package bot

import "errors"

// MaxAttachmentBytes is the largest file an adapter fetches for a
// handler. It matches the client import's cap (csvio.DefaultMaxBytes), so
// a file the import would refuse is refused before it is downloaded.
const MaxAttachmentBytes = 16 << 20

// ErrAttachmentTooLarge is what Attachment.Open returns for a file larger
// than MaxAttachmentBytes, found out only while fetching it (the platform
// did not say its size, or said less).
var ErrAttachmentTooLarge = errors.New("bot: the file is larger than the limit")
