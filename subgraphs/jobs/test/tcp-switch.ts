// The relay lives in @tessera/testing, since the models tests cut MariaDB off with it too.
export { TcpSwitch } from '@tessera/testing';
