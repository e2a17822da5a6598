# The canonical binary format of libevent-model: events, batches of events and
# event schemas as Cap'n Proto 0.9 messages. Specified in docs/format-binary.md;
# every change here is a format change and must keep old data readable (only
# append fields and union members, never renumber).
@0xc12cff73862b4db9;

$import "/capnp/c++.capnp".namespace("coop::model::wire");

# One event (format version 1): its envelope and its field values, stored
# densely by schema position (docs/format-binary.md, section 2.1). Field i
# is described by byte i of `kinds` (low 5 bits: the type_kind number, 0 =
# unset; high 3 bits: a width code); scalars, strings, byte strings and enum
# labels follow one another in `payload` in field order; containers and
# records are the elements of `nested`, in field order.
struct Event {
  typeName @0 :Text;      # the event type ("connection_end")
  typeVersion @1 :UInt32; # the schema version the writer used
  ts @2 :Int64;           # nanoseconds since 1970-01-01T00:00:00Z
  idHi @3 :UInt64;        # event id, high 64 bits
  idLo @4 :UInt64;        # event id, low 64 bits
  site @5 :Text;          # origin: the monitoring site
  sensor @6 :Text;        # origin: the sensor within the site
  uid @7 :Text;           # connection uid; absent or empty if none
  kinds @8 :Data;         # one byte per field of the writer's schema
  payload @9 :Data;       # the non-container values, in field order
  nested @10 :List(Value); # the container and record values, in field order
}

# One typed datum, used inside containers and records, and for defaults in
# schemas. The union's discriminant is the coop::model::type_kind
# number of the value's kind (none = 0 ... record = 16).
struct Value {
  union {
    none @0 :Void;
    boolean @1 :Bool;
    count @2 :UInt64;
    integer @3 :Int64;
    real @4 :Float64;
    string @5 :Text;
    bytes @6 :Data;
    address :group {      # IPv6 or IPv4-mapped, network byte order:
      hi @7 :UInt64;      # bytes 0..7 as a big-endian number
      lo @8 :UInt64;      # bytes 8..15 as a big-endian number
    }
    subnet :group {
      hi @9 :UInt64;      # network address, as for address
      lo @10 :UInt64;
      length @11 :UInt8;  # prefix length over 128 bits (IPv4 /24 = 120)
    }
    port :group {
      number @12 :UInt16;
      transport @13 :UInt8; # 0 unknown, 1 tcp, 2 udp, 3 icmp
    }
    time @14 :Int64;      # nanoseconds since the epoch
    interval @15 :Int64;  # nanoseconds
    enum @16 :Text;       # the label
    set @17 :List(Value);     # sorted, unique
    table @18 :List(Entry);   # sorted by key, unique keys
    vector @19 :List(Value);
    record @20 :List(Value);  # fields in the order of the record type
  }
}

# One key/value pair of a table.
struct Entry {
  key @0 :Value;
  value @1 :Value;
}

# Several events, optionally with the schemas of their types so that a
# receiver can learn types it does not know.
struct Batch {
  events @0 :List(Event);
  schemas @1 :List(Schema);
}

# An event type: name, version and ordered fields.
struct Schema {
  name @0 :Text;
  version @1 :UInt32;
  doc @2 :Text;
  fields @3 :List(Field);
}

struct Field {
  name @0 :Text;
  type @1 :Type;
  optional @2 :Bool;
  default @3 :Value;      # absent or none: the field has no default
  doc @4 :Text;
}

# A type, structurally: scalar kinds carry nothing else; set and vector one
# param (the element), table two (key, mapped); enum its labels in names;
# record its field names in names and their types in params.
struct Type {
  kind @0 :UInt8;         # the coop::model::type_kind number
  params @1 :List(Type);
  names @2 :List(Text);
}
