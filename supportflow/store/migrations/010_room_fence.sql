-- The fencing number of the lease under which a room was last written (issue 11). A node
-- that owns a room through a lease passes the lease's number with every write of that room;
-- a write carrying a lower number than the one stored comes from a node that lost the room
-- and is refused. 0: never written under a lease (single-process mode passes none).

ALTER TABLE sessions ADD COLUMN fence BIGINT NOT NULL DEFAULT 0;
