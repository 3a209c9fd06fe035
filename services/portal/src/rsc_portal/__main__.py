from rsc_portal.cli import main

main()
