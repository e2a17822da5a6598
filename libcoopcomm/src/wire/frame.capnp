# libcoopcomm wire schema, protocol version 2. Every frame on a connection is
# a 4-byte little-endian length followed by one Cap'n Proto message whose root
# is a Frame. docs/protocol.md describes each message and its limits.
@0xa3d3eec8f1f2d8cf;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("coop::comm::wire");

struct Frame {
  union {
    hello @0 :Hello;                 # first frame each way after the TLS handshake
    subscriptions @1 :Subscriptions; # the sender's whole subscription set
    envelope @2 :Envelope;           # signed application messages
    refusal @3 :Refusal;             # an error report; the sender may close next
    ping @4 :UInt64;                 # keepalive; answered by pong with the same value
    pong @5 :UInt64;
    bye @6 :Text;                    # graceful close, with a reason
  }
}

struct Hello {
  site @0 :Text;            # must equal the CN of the certificate just presented
  minVersion @1 :UInt16;    # protocol versions the sender speaks
  maxVersion @2 :UInt16;
  maxFrameBytes @3 :UInt32; # the largest frame the sender accepts
  relay @4 :Bool;           # the sender forwards between sites
}

struct Subscriptions {
  prefixes @0 :List(Text);  # replaces the previous set
  distances @1 :List(UInt8);  # relays between the sender and each prefix's subscriber
                              # (0: the sender's own); absent entries count as 0
}

struct Envelope {
  header @0 :Data;          # a serialized Header: the signed bytes
  signature @1 :Data;       # Ed25519 over "coop-envelope-v2" 0x00 SHA-256(header) (64 bytes)
  hops @2 :List(Text);      # sites that forwarded it, in order; not signed
  items @3 :List(Data);     # serialized Items (a subset when a relay filtered)
}

struct Header {
  origin @0 :Text;          # the signing site
  originKey @1 :Data;       # its raw Ed25519 public key (32 bytes), checked against its pin
  sequence @2 :UInt64;      # strictly increasing per origin, across restarts
  issuedAt @3 :Int64;       # nanoseconds since the Unix epoch
  expiresAt @4 :Int64;      # after this, receivers refuse it
  hopLimit @5 :UInt8;       # forwarded at most this many times
  digests @6 :List(Data);   # item digest of each Item, by index (docs/protocol.md, "Envelopes")
}

enum Kind {
  publish @0;    # to every subscriber of the topic
  direct @1;     # to the destination site
  request @2;    # to the destination site, which answers with response or outcome
  response @3;   # the answer to a request
  outcome @4;    # the fate of a request: pending approval, refused, expired, denied
}

enum Outcome {
  none @0;
  pending @1;    # held for an operator's approval
  approved @2;
  refused @3;    # refused by the operator
  expired @4;    # nobody decided in time
  denied @5;     # access rules refused it
  failed @6;     # no handler, or the handler failed
}

struct Item {
  index @0 :UInt32;         # position in Header.digests
  kind @1 :Kind;
  topic @2 :Text;
  destination @3 :Text;     # direct, request, response, outcome: the addressed site
  requestId @4 :UInt64;     # request, response, outcome: chosen by the requester
  contentType @5 :Text;
  payload @6 :Data;
  outcome @7 :Outcome;      # outcome items
  reason @8 :Text;          # outcome items: for a person
}

struct Refusal {
  code @0 :UInt16;          # see docs/protocol.md, "Error codes"
  reason @1 :Text;
}
