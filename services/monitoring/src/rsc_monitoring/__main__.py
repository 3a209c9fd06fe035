from rsc_monitoring.cli import main

main()
