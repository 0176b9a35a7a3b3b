"""Drives openstacksdk's compute proxy against the cloud in the OS_* variables.

Run by test/acceptance/openstacksdk.test.ts as `python3 servers.py SERVER_ID`; prints
one JSON object with what each call returned, which the TypeScript test asserts on.
"""
import json
import sys

import openstack
from openstack import exceptions


def main(server_id):
    # No clouds.yaml: the "envvars" cloud from OS_AUTH_URL, OS_USERNAME, ...
    conn = openstack.connect(load_yaml_config=False)
    compute = conn.compute
    out = {}

    updated = compute.update_server(server_id, name='vm1-sdk', description='set by openstacksdk')
    out['update'] = {'name': updated.name, 'description': updated.description}
    shown = compute.get_server(server_id)
    out['show'] = {'name': shown.name, 'description': shown.description}

    out['set'] = compute.set_server_metadata(server_id, a='1', b='2').metadata
    out['get'] = compute.get_server_metadata(server_id).metadata
    compute.delete_server_metadata(server_id, ['a'])
    out['after_delete'] = compute.get_server_metadata(server_id).metadata
    try:
        compute.delete_server_metadata(server_id, ['nope'])
        out['delete_missing'] = None
    except exceptions.NotFoundException as e:
        out['delete_missing'] = {'status': e.status_code, 'details': e.details}

    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
