/** Record codecs: serialization (Kryo by default), LZ4 compression and the payload checksum. */
package io.hopper.internal.codec;
